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
/* Chunk size line (size, extensions) and trailer section of a chunked body: real peers send a
 * few bytes of each; the bound stops a peer from making us scan an endless line. */
#define MA_HTTP_MAX_CHUNK_LINE 4096
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
/* Addresses kept per node (status.addresses): a node has a handful, one per type and family */
#define MA_KUBE_MAX_NODE_ADDRS 16
/* String bounds kube-apiserver's own validation enforces (apimachinery validation): a longer
 * field did not come from a real server, and refusing it bounds one cached pod. */
#define MA_KUBE_MAX_NAME 253      /* DNS subdomain: object names, spec.nodeName */
#define MA_KUBE_MAX_DNS_LABEL 63  /* namespace, spec.hostname, spec.subdomain, label values */
#define MA_KUBE_MAX_LABEL_KEY 317 /* 253-byte DNS prefix + '/' + 63-byte name */
#define MA_KUBE_MAX_IP 45         /* longest textual IPv6 (IPv4-mapped form) */

/* One watch event: objects are at most ~1.5 MiB in etcd; 4 MiB leaves room for JSON overhead. */
#define MA_KUBE_MAX_EVENT_BYTES (4 * 1024 * 1024)
/* One LIST page (500 pods are ~2.5 MiB of JSON). */
#define MA_KUBE_MAX_PAGE_BYTES (32 * 1024 * 1024)
/* jsmn tokens for one event or page: a pod is ~300 tokens, so a 500-item page needs ~150,000;
 * the array grows on demand up to this (20 bytes each). */
#define MA_KUBE_MAX_TOKENS (1024 * 1024)

/* JSON nesting our writer supports (our documents nest at most ~6 deep). */
#define MA_JSON_MAX_DEPTH 32
/* Bytes of one JSON number read as a double: Go writes at most 24; 767 significant digits are the
 * most correct rounding of a double can depend on, so 1024 refuses nothing meaningful. */
#define MA_JSON_MAX_NUMBER 1024

/* Extra SANs accepted by --tls-san. */
#define MA_TLS_MAX_SANS 32
/* Certificates in a served chain (leaf + intermediates). */
#define MA_TLS_MAX_CHAIN 8
/* Size of a PEM file we read (certificate chains, keys). */
#define MA_TLS_MAX_PEM_FILE (1024 * 1024)
/* Trust anchors in one CA bundle: kube's ca.crt holds 1-3; a full public bundle ~150. */
#define MA_TLS_MAX_ANCHORS 256
/* Client certificate chain kept per TLS connection for authentication: kube-apiserver's
 * front-proxy client sends 1-2 certificates of ~1 KiB; more is refused (401) rather than stored. */
#define MA_TLS_MAX_PEER_CERTS 4
#define MA_TLS_MAX_PEER_CHAIN_BYTES (16 * 1024)
/* A server's leaf certificate kept for the iPAddress SAN check (real ones are 1-4 KiB). */
#define MA_TLS_MAX_CERT_DER (64 * 1024)

/* HTTP client: response head (kube-apiserver's are < 1 KiB; same bound as request heads). */
#define MA_HTTP_CLIENT_MAX_HEAD (64 * 1024)
/* TCP connect + TLS handshake, when the caller gives no connect timeout. */
#define MA_HTTP_CLIENT_CONNECT_TIMEOUT_DEFAULT_MS 10000
/* Idle pooled connections are dropped after this, below the 60-90 s after which common servers
 * (nginx 75 s, Go 90 s) close them, so we rarely race a request against the server's close. */
#define MA_HTTP_CLIENT_IDLE_TIMEOUT_DEFAULT_MS 50000
/* Idle connections kept per client when the caller gives no number. */
#define MA_HTTP_CLIENT_MAX_IDLE_DEFAULT 2
/* Addresses kept from one name resolution (tried in order on connect failure). */
#define MA_NET_MAX_ADDRS 8

/* Bearer token file (kube/kubeconfig.h): service-account JWTs are ~1 KiB, OIDC ID tokens a few
 * KiB; the token goes into every request head. */
#define MA_KUBE_MAX_BEARER_TOKEN (16 * 1024)

/* YAML (yaml/yaml.h): nesting of block and flow collections; kubeconfig nests 4 deep and
 * prometheus-adapter's config 5, and the reader recurses once per level. */
#define MA_YAML_MAX_DEPTH 32
/* YAML input: kubeconfigs with dozens of embedded certificates stay below 1 MiB. */
#define MA_YAML_MAX_INPUT (8 * 1024 * 1024)
/* Keys of the YAML mappings open at once (root to current node), kept for duplicate-key
 * detection: configuration mappings hold tens of keys. */
#define MA_YAML_MAX_OPEN_KEYS 1024

/* Open-Falcon client (backend/falcon_api.c) */
/* Tags in one counter: Falcon counters carry a handful; more means a broken CustomMetric. */
#define MA_FALCON_MAX_TAGS 32
/* A counter string: transfer refuses len(metric)+len(tags) > 510 (falcon.md 2.1), plus '/'. */
#define MA_FALCON_MAX_COUNTER 512
/* Pairs per request when the config leaves max_batch 0: keeps each lastpoint request and reply
 * small (~100 bytes per element) while a 100-pod HPA still costs one request. */
#define MA_FALCON_DEFAULT_BATCH 500
/* Chunk requests of one query in flight at once: a huge query must not open a connection per
 * chunk against one Falcon api. */
#define MA_FALCON_MAX_INFLIGHT 4
/* jsmn tokens allowed per requested pair in a reply (an element takes 11) and in addition (an
 * error object, a few unknown elements). */
#define MA_FALCON_TOKENS_PER_PAIR 16
#define MA_FALCON_TOKENS_EXTRA 256

/* Open-Falcon metric definitions (backend/falcon_def.c) */
/* Bytes of an endpoint (template source or rendered): Falcon's endpoint table column is
 * varchar(255). */
#define MA_FALCON_MAX_ENDPOINT 255
/* Literal runs plus placeholders of one template. */
#define MA_FALCON_TMPL_MAX_PARTS 32
/* Endpoints of one ExternalMetric, and the bytes they occupy together (NULs included). */
#define MA_FALCON_DEF_MAX_ENDPOINTS 64
#define MA_FALCON_DEF_ENDPOINT_POOL 4096
/* Longest "<plural>[.<group>]": a 63-byte plural, a dot, a 253-byte group. */
#define MA_FALCON_DEF_MAX_RESOURCE 317
/* The kubelet sets a container's hostname to at most 63 bytes (a DNS label). */
#define MA_FALCON_HOSTNAME_MAX 63

/* Authentication and authorization (auth/, issue 5). */
/* Entries of one list flag or ConfigMap key (header names, allowed names): real ones hold 1-3. */
#define MA_AUTH_MAX_LIST 16
/* Groups and extra keys of one user: kube users carry < 10 groups and 1-2 extras. */
#define MA_AUTH_MAX_GROUPS 64
#define MA_AUTH_MAX_EXTRAS 16
/* Cached TokenReview and SubjectAccessReview answers (direct-mapped tables: a collision costs one
 * more review, never a wrong answer). An HPA fleet uses a few dozen distinct SAR specs. */
#define MA_AUTH_TOKEN_CACHE_SLOTS 256
#define MA_AUTH_SAR_CACHE_SLOTS 1024
/* A TokenReview / SubjectAccessReview reply (kube's are < 2 KiB). */
#define MA_AUTH_MAX_REVIEW_BYTES (64 * 1024)
/* Time allowed for one review call; Go's webhook default is 10 s (30 s for the whole retry). */
#define MA_AUTH_REVIEW_TIMEOUT_MS 10000
/* Re-read of kube-system/extension-apiserver-authentication (CA rotation); kube-apiserver
 * rewrites it at most once a minute. */
#define MA_AUTH_CONFIG_RESYNC_MS 60000

#endif
