#ifndef MA_CMD_GENCERTS_H
#define MA_CMD_GENCERTS_H

/* `metrics-adapter gen-certs`: the certificates a production install needs so kube-apiserver can
 * verify the adapter (APIService caBundle) instead of trusting it blindly
 * (insecureSkipTLSVerify). It makes a fresh CA and a serving certificate for the Service's DNS
 * names, signed by it, and writes into the output directory:
 *
 *   ca.crt                    the CA certificate (PEM): what the APIService trusts
 *   tls.crt, tls.key          serving certificate and its EC P-256 key (SEC1 PEM, mode 0600), for
 *                             --tls-cert-file / --tls-private-key-file
 *   ca-bundle.b64             base64 of ca.crt on one line: the APIService spec.caBundle value
 *   apiservice-cabundle.yaml  the three APIServices with that caBundle (and
 *                             insecureSkipTLSVerify: false), a patch deploy/overlays/production
 *                             applies; also usable with `kubectl apply` over an existing install
 *
 * The CA private key is never written: nobody can sign another certificate with this CA. To
 * rotate, run gen-certs again and apply the result (the adapter reloads changed certificate
 * files by itself). Existing files are replaced whole (temporary file, then rename). */

#include <time.h>

#include "base/err.h"

/* Longest Service or namespace name: a DNS label (RFC 1035, Kubernetes DNS-1035/1123 labels). */
#define MA_CMD_GENCERTS_MAX_LABEL 63
/* Longest validity accepted for --days: 100 years keeps not_after well inside X.509 GeneralizedTime. */
#define MA_CMD_GENCERTS_MAX_DAYS 36500
#define MA_CMD_GENCERTS_DEFAULT_DAYS 3650

struct ma_cmd_gencerts_opts {
    const char *service;   /* Service name, a DNS-1035 label (lower-case, starts with a letter) */
    const char *namespace; /* its namespace, a DNS-1123 label */
    const char *out;       /* output directory, created (with parents) when missing */
    long long days;        /* validity of both certificates from `now`, 1..MA_CMD_GENCERTS_MAX_DAYS */
};

/* Check o (names, days, out non-empty). Returns MA_OK or MA_ERR_SYNTAX with a one-line reason in
 * em naming the flag ("--service \"Foo\": must be a DNS-1035 label ..."). */
int ma_cmd_gencerts_check(const struct ma_cmd_gencerts_opts *o, struct ma_errmsg *em);

/* Generate and write the files above for o (which MUST pass ma_cmd_gencerts_check), both
 * certificates valid from now - 1 h (clock skew between machines) to now + o->days. Returns
 * MA_OK; MA_ERR_IO (directory or file not writable, no entropy) or MA_ERR_SYNTAX (a name the
 * X.509 writer refuses) with the cause in em. */
int ma_cmd_gencerts_run(const struct ma_cmd_gencerts_opts *o, time_t now, struct ma_errmsg *em);

/* The subcommand: argv[0] is "gen-certs", flags follow (--service, --namespace, --out, --days,
 * --help). Prints what it wrote to stdout and errors to stderr. Returns the process exit status:
 * 0 done (or --help), 1 generation or writing failed, 2 bad or missing flags. */
int ma_cmd_gencerts_main(int argc, char **argv);

#endif
