/* Tests of src/prom/api.c. Without arguments: the pure parts (form encoding, flags and their
 * checks, client construction errors). With arguments it is the driver that
 * tests/integration/45-prometheus-wire.py runs against a real Prometheus and against fakes:
 *
 *   api_test drive series SELECTOR [--prometheus-... flags]   one line per series, then DONE
 *   api_test drive query PROMQL [--prometheus-... flags]      one line per sample, then DONE
 *
 * Lines: "S name=value,name=value" / "Q name=value,... @TS VALUE" / "DONE <err> <message>" /
 * "INFO <type> <samples> <warnings>". Series run with start = now - max-age, end = now; queries
 * at now; $PROM_DRIVE_TIME (seconds) replaces now; $PROM_DRIVE_REPEAT and $PROM_DRIVE_TOKEN_SWAP
 * are described in drive(). */
#include "prom/api.c"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "net/loop.h"
#include "t.h"

static void test_form(void)
{
    struct ma_buf b;

    ma_buf_init_heap(&b, 4096);
    ma_prom_form_append(&b, "match[]", "{__name__=~\"http_.*\",namespace!=\"\"}");
    ma_prom_form_append(&b, "query", "sum(rate(x[1m])) by (pod) / 2 + 1 ~é&=");
    CHECK_STR(ma_buf_cstr(&b),
              "match%5B%5D=%7B__name__%3D~%22http_.%2A%22%2Cnamespace%21%3D%22%22%7D&"
              "query=sum%28rate%28x%5B1m%5D%29%29+by+%28pod%29+%2F+2+%2B+1+~%C3%A9%26%3D");
    ma_buf_free(&b);
}

static int parse(struct ma_prom_flags *f, int argc, char **argv, struct ma_errmsg *em)
{
    struct ma_flag tab[MA_PROM_NFLAGS];
    size_t n;

    free(f->headers.items);
    ma_prom_flags_init(f);
    n = ma_prom_flags_table(f, tab);
    CHECK(n <= MA_PROM_NFLAGS);
    return ma_flag_parse(tab, n, argc, argv, em);
}

static void test_flags(void)
{
    struct ma_prom_flags f = {0};
    struct ma_errmsg em;
    char *a1[] = {"x"};
    char *a2[] = {"x", "--prometheus-url=http://p:9090/", "--metrics-relist-interval=1m",
                  "--prometheus-header=X-Scope-OrgID=tenant-a,tenant-b",
                  "--prometheus-header", "Authorization=Basic Zm9vOmJhcg==",
                  "--prometheus-verb=POST"};
    char *bad[][3] = {
        {"x", "--prometheus-verb=PUT", NULL},
        {"x", "--prometheus-url=prometheus:9090", NULL},
        {"x", "--prometheus-header=X-Foo: bar", NULL},
        {"x", "--prometheus-header==v", NULL},
        {"x", "--prometheus-client-tls-cert-file=/c", NULL},
        {"x", "--prometheus-auth-incluster", "--prometheus-auth-config=/k"},
        {"x", "--metrics-relist-interval=10m", "--metrics-max-age=5m"},
    };
    size_t i;

    CHECK_EQ(parse(&f, 1, a1, &em), MA_OK);
    CHECK(ma_prom_flags_check(&f) == NULL);
    CHECK_STR(f.url, "https://localhost");
    CHECK_STR(f.verb, "GET");
    CHECK_EQ(f.relist_ms, 600000);
    CHECK_EQ(f.max_age_ms, 600000); /* = relist interval */
    CHECK_EQ(f.timeout_ms, 10000);
    CHECK_EQ(parse(&f, 7, a2, &em), MA_OK);
    CHECK(ma_prom_flags_check(&f) == NULL);
    CHECK_EQ(f.max_age_ms, 60000);
    CHECK_EQ(f.headers.n, 2);
    CHECK_STR(f.headers.items[0], "X-Scope-OrgID=tenant-a,tenant-b"); /* not split at commas */
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int argc = bad[i][2] ? 3 : 2;

        CHECK_EQ(parse(&f, argc, bad[i], &em), MA_OK);
        CHECK(ma_prom_flags_check(&f) != NULL);
    }
    free(f.headers.items);
}

static void test_new_errors(void)
{
    struct ma_net_loop *loop = ma_net_loop_new(64);
    struct ma_prom_flags f;
    struct ma_errmsg em;
    struct ma_prom_api *api;

    ma_prom_flags_init(&f);
    f.url = "https://127.0.0.1:1";
    f.ca_file = "/nonexistent/ca.pem";
    CHECK(ma_prom_api_new(loop, &f, &em) == NULL);
    CHECK(strstr(em.msg, "--prometheus-ca-file /nonexistent/ca.pem") != NULL);
    f.ca_file = NULL;
    f.token_file = "/nonexistent/token";
    f.url = "http://127.0.0.1:1/prefix/";
    CHECK(ma_prom_api_new(loop, &f, &em) == NULL);
    CHECK(strstr(em.msg, "--prometheus-token-file") != NULL);
    f.token_file = NULL;
    f.auth_config = "/nonexistent/kubeconfig";
    CHECK(ma_prom_api_new(loop, &f, &em) == NULL);
    CHECK(strstr(em.msg, "--prometheus-auth-config") != NULL);
    f.auth_config = NULL;
    api = ma_prom_api_new(loop, &f, &em);
    CHECK(api != NULL);
    if (api) {
        CHECK_STR(ma_prom_api_url(api), "http://127.0.0.1:1/prefix");
        ma_prom_api_free(api);
    }
    ma_net_loop_free(loop);
}

/* Cancel and free with calls in flight: a listener that never answers (the kernel accepts the
 * connection, nobody reads); no callback may run, and ASan sees no leak. */
static int done_calls;

static void count_done(int err, const struct ma_errmsg *em, const struct ma_prom_query_info *info,
                       void *arg)
{
    (void)err, (void)em, (void)info, (void)arg;
    done_calls++;
}

static int64_t stop_loop(struct ma_net_loop *loop, void *arg)
{
    (void)arg;
    ma_net_loop_stop(loop);
    return MA_NET_TIMER_STOP;
}

static void test_cancel_and_free(void)
{
    struct ma_net_loop *loop = ma_net_loop_new(64);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct ma_prom_flags f;
    struct ma_errmsg em;
    struct ma_prom_api *api;
    struct ma_prom_call *a, *b;
    char url[64];
    const char *sel = "up";

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 8) == 0);
    CHECK(getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    ma_prom_flags_init(&f);
    f.url = url;
    api = ma_prom_api_new(loop, &f, &em);
    CHECK(api != NULL);
    if (api) {
        a = ma_prom_api_query(api, "up", 0, NULL, count_done, NULL);
        b = ma_prom_api_series(api, &sel, 1, 1, 2, NULL, count_done, NULL);
        ma_prom_api_query(api, "vector(1)", 0, NULL, count_done, NULL); /* left to _free */
        ma_prom_call_cancel(a);
        ma_net_loop_add_timer(loop, 300, stop_loop, NULL);
        ma_net_loop_run(loop);
        ma_prom_call_cancel(b);
        ma_prom_api_free(api);
    }
    CHECK_EQ(done_calls, 0);
    close(lfd);
    ma_net_loop_free(loop);
}

/* ---- driver ----------------------------------------------------------------------------------- */

struct drive {
    struct ma_net_loop *loop;
    struct ma_prom_api *api;
    const char *kind, *sel, *swap_token;
    double start, now;
    int err, left;
};

static void drive_one(struct drive *d);

static void print_labels(const struct ma_prom_label *l, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        printf("%s%.*s=%.*s", i ? "," : "", (int)l[i].name.len, l[i].name.p, (int)l[i].value.len,
               l[i].value.p);
}

static int on_series_line(void *arg, const struct ma_prom_label *l, size_t n)
{
    (void)arg;
    printf("S ");
    print_labels(l, n);
    printf("\n");
    return MA_OK;
}

static int on_sample_line(void *arg, const struct ma_prom_sample *s)
{
    (void)arg;
    printf("Q ");
    print_labels(s->labels, s->nlabels);
    printf(" @%.3f %.17g\n", s->ts, s->value);
    return MA_OK;
}

static void on_done_line(int err, const struct ma_errmsg *em,
                         const struct ma_prom_query_info *info, void *arg)
{
    struct drive *d = arg;

    if (info)
        printf("INFO %s %zu %zu\n", ma_prom_result_type_name(info->type), info->samples,
               info->warnings);
    printf("DONE %d %s\n", err, em->msg);
    fflush(stdout);
    d->err = err;
    if (--d->left > 0) {
        /* $PROM_DRIVE_TOKEN_SWAP: the token file changes between calls (rotation) */
        if (d->swap_token) {
            FILE *fp = fopen(d->swap_token, "w");
            if (fp) {
                fprintf(fp, "rotated-%.*s\n", d->left, "xxxxxxxxxx"); /* sizes differ */
                fclose(fp);
            }
        }
        drive_one(d);
        return;
    }
    ma_net_loop_stop(d->loop);
}

static void drive_one(struct drive *d)
{
    if (!strcmp(d->kind, "series"))
        ma_prom_api_series(d->api, &d->sel, 1, d->start, d->now, on_series_line, on_done_line, d);
    else
        ma_prom_api_query(d->api, d->sel, d->now, on_sample_line, on_done_line, d);
}

static int drive(int argc, char **argv)
{
    struct ma_prom_flags f;
    struct ma_errmsg em;
    struct drive d;
    struct ma_prom_api *api;
    const char *why, *sel = argv[3];
    const char *at = getenv("PROM_DRIVE_TIME"); /* fixed evaluation time, to compare answers */
    struct timespec ts;
    double now;

    clock_gettime(CLOCK_REALTIME, &ts);
    now = at ? strtod(at, NULL) : (double)ts.tv_sec + ts.tv_nsec / 1e9;
    struct ma_flag tab[MA_PROM_NFLAGS];
    size_t n;

    ma_prom_flags_init(&f);
    n = ma_prom_flags_table(&f, tab);
    if (ma_flag_parse(tab, n, argc - 3, argv + 3, &em) != MA_OK) {
        fprintf(stderr, "%s\n", em.msg);
        return 2;
    }
    if ((why = ma_prom_flags_check(&f)) != NULL) {
        fprintf(stderr, "%s\n", why);
        return 2;
    }
    d.loop = ma_net_loop_new(64);
    d.err = 1;
    api = ma_prom_api_new(d.loop, &f, &em);
    if (!api) {
        printf("NEW %s\n", em.msg);
        return 2;
    }
    /* $PROM_DRIVE_REPEAT: that many calls one after the other on the same client (keep-alive) */
    d.left = getenv("PROM_DRIVE_REPEAT") ? atoi(getenv("PROM_DRIVE_REPEAT")) : 1;
    d.swap_token = getenv("PROM_DRIVE_TOKEN_SWAP");
    d.api = api;
    d.kind = argv[2];
    d.sel = sel;
    d.now = now;
    d.start = now - (double)f.max_age_ms / 1000;
    drive_one(&d);
    ma_net_loop_run(d.loop);
    ma_prom_api_free(api);
    ma_net_loop_free(d.loop);
    free(f.headers.items);
    return d.err == MA_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "drive"))
        return drive(argc, argv);
    T_RUN(test_form);
    T_RUN(test_flags);
    T_RUN(test_new_errors);
    T_RUN(test_cancel_and_free);
    T_END();
}
