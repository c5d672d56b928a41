#ifndef MA_BASE_LIMITS_H
#define MA_BASE_LIMITS_H

/* Every compiled-in bound, each with its reason. Runtime-tunable limits have a flag whose default is
 * the *_DEFAULT value here. */

/* HTTP request head: kube-apiserver's proxied heads are ~1 KiB; Go's server default is 1 MiB, but
 * 64 KiB covers any real client and caps what a slow or hostile peer makes us hold. */
#define MA_HTTP_MAX_HEAD_DEFAULT (64 * 1024)
/* Request line: paths are at most a few hundred bytes (names are <= 253); 8 KiB is nginx's default. */
#define MA_HTTP_MAX_LINE_DEFAULT (8 * 1024)
/* Header lines per request: the aggregator sends ~15; 100 is Go's and nginx's order of magnitude. */
#define MA_HTTP_MAX_HEADERS 100
/* Request body we are willing to read and discard (GET/HEAD carry none in practice). */
#define MA_HTTP_MAX_DISCARD_BODY (64 * 1024)
/* Response body: 10,000 pods x ~220 bytes per item is ~2.2 MiB; 32 MiB leaves a wide margin. */
#define MA_HTTP_MAX_RESPONSE (32 * 1024 * 1024)
/* Per-request arena (decoded path, query values, provider results). */
#define MA_REQ_ARENA_MAX (16 * 1024 * 1024)
/* Seconds to receive a whole request head once its first byte arrived (slowloris guard). */
#define MA_HTTP_HEADER_TIMEOUT_DEFAULT_MS 10000
/* Idle keep-alive: Go's transport closes idle conns at 90 s; we wait a little longer so the
 * client, not us, closes first and never races a request against our close. */
#define MA_HTTP_IDLE_TIMEOUT_DEFAULT_MS 120000
/* TLS handshake must finish within this. */
#define MA_TLS_HANDSHAKE_TIMEOUT_DEFAULT_MS 10000
/* Connections: 1,000 idle TLS conns is the design point; 10,000 bounds memory (~20 KiB each). */
#define MA_NET_MAX_CONNS_DEFAULT 10000
/* Grace period on SIGTERM for in-flight requests. */
#define MA_SHUTDOWN_GRACE_DEFAULT_MS 10000

/* Label selectors: Kubernetes has no hard limit; 64 requirements and 256 values cover any HPA. */
#define MA_KUBE_SEL_MAX_REQS 64
#define MA_KUBE_SEL_MAX_VALUES 256
/* Labels on one object (Kubernetes objects rarely carry more than ~20). */
#define MA_KUBE_MAX_LABELS 64

/* JSON nesting our writer supports (our documents nest at most ~6 deep). */
#define MA_JSON_MAX_DEPTH 32

/* Extra SANs accepted by --tls-san. */
#define MA_TLS_MAX_SANS 32
/* Certificates in a served chain (leaf + intermediates). */
#define MA_TLS_MAX_CHAIN 8
/* Size of a PEM file we read (certificate chains, keys). */
#define MA_TLS_MAX_PEM_FILE (1024 * 1024)

#endif
