/* Load generator for the authentication benchmark (tests/bench/auth.py): keeps CONNS keep-alive
 * HTTPS requests in flight for SECONDS against one path, presenting a client certificate (the
 * front proxy's, as kube-apiserver does) and fixed extra headers, and prints
 * "requests=N ok=N failed=N seconds=S rps=R". Built on the project's own event loop and HTTP
 * client (BearSSL), because wrk cannot present client certificates. Prints; asserts nothing.
 *
 *   auth_load URL PATH SECONDS CONNS CA_PEM CERT_PEM KEY_PEM [HEADER_LINE]...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/time.h"
#include "http/client.h"
#include "net/loop.h"

struct load {
    struct ma_net_loop *loop;
    struct ma_http_client *client;
    struct ma_http_call_params p;
    int64_t end_ms;
    unsigned long ok, failed;
    int inflight;
};

static void on_done(struct ma_http_call *call, const struct ma_http_result *res, void *arg);

static void start_one(struct load *l)
{
    l->inflight++;
    ma_http_client_start(l->client, &l->p);
}

static void on_done(struct ma_http_call *call, const struct ma_http_result *res, void *arg)
{
    struct load *l = arg;

    (void)call;
    l->inflight--;
    if (res->err == MA_OK && res->status == 200) {
        l->ok++;
    } else if (l->failed++ < 3) {
        fprintf(stderr, "auth_load: status %d err %d %s\n", res->status, res->err,
                res->err ? res->em.msg : "");
    }
    if (ma_time_mono_ms() < l->end_ms)
        start_one(l);
    else if (l->inflight == 0)
        ma_net_loop_stop(l->loop);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(1 << 20);

    if (f == NULL || buf == NULL) {
        fprintf(stderr, "auth_load: cannot read %s\n", path);
        exit(2);
    }
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    struct ma_http_client_config cfg = {0};
    struct load l = {0};
    struct ma_errmsg em;
    struct ma_buf hdrs;
    int64_t t0;
    int i, conns;
    double secs;

    if (argc < 8) {
        fprintf(stderr, "usage: %s URL PATH SECONDS CONNS CA CERT KEY [HEADER]...\n", argv[0]);
        return 2;
    }
    conns = atoi(argv[4]);
    ma_buf_init_heap(&hdrs, 1 << 16);
    for (i = 8; i < argc; i++) {
        ma_buf_appends(&hdrs, argv[i]);
        ma_buf_appends(&hdrs, "\r\n");
    }
    l.loop = ma_net_loop_new(conns + 64);
    cfg.url = argv[1];
    cfg.ca_pem = slurp(argv[5], &cfg.ca_pem_len);
    cfg.server_name = "localhost";
    if (strcmp(argv[6], "-") != 0) {
        cfg.cert_pem = slurp(argv[6], &cfg.cert_pem_len);
        cfg.key_pem = slurp(argv[7], &cfg.key_pem_len);
    }
    cfg.max_idle_conns = conns;
    l.client = ma_http_client_new(l.loop, &cfg, &em);
    if (l.client == NULL) {
        fprintf(stderr, "auth_load: %s\n", em.msg);
        return 2;
    }
    l.p.method = "GET";
    l.p.path = argv[2];
    l.p.headers = ma_buf_cstr(&hdrs);
    l.p.timeout_ms = 10000;
    l.p.on_done = on_done;
    l.p.arg = &l;
    t0 = ma_time_mono_ms();
    l.end_ms = t0 + (int64_t)(atof(argv[3]) * 1000);
    for (i = 0; i < conns; i++)
        start_one(&l);
    ma_net_loop_run(l.loop);
    secs = (double)(ma_time_mono_ms() - t0) / 1000.0;
    printf("requests=%lu ok=%lu failed=%lu seconds=%.2f rps=%.0f\n", l.ok + l.failed, l.ok,
           l.failed, secs, (double)l.ok / secs);
    return 0;
}
