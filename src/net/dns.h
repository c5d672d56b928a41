#ifndef MA_NET_DNS_H
#define MA_NET_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

/* DNS wire format (RFC 1035) for the stub resolver (net/resolv.h): build one A or AAAA query, and
 * parse the reply to it. Pure: no I/O, no allocation; the reply is untrusted input (any host on the
 * path can send a datagram), so every offset is checked and every loop bounded. */

#define MA_NET_DNS_A 1
#define MA_NET_DNS_CNAME 5
#define MA_NET_DNS_SOA 6
#define MA_NET_DNS_AAAA 28

/* Response codes (RFC 1035 4.1.1) a reply may carry. */
#define MA_NET_DNS_NOERROR 0
#define MA_NET_DNS_FORMERR 1
#define MA_NET_DNS_SERVFAIL 2
#define MA_NET_DNS_NXDOMAIN 3
#define MA_NET_DNS_NOTIMP 4
#define MA_NET_DNS_REFUSED 5

/* What a reply says about our question. Addresses are in answer order after following the CNAME
 * chain from the question's name: 4 bytes each for A, 16 for AAAA. */
struct ma_net_dns_answer {
    int rcode;       /* MA_NET_DNS_NOERROR, _NXDOMAIN, ... */
    int truncated;   /* TC bit: nothing else was parsed; ask again over TCP */
    size_t naddrs;   /* addresses of the asked type (more than MA_NET_DNS_MAX_ANSWERS are dropped) */
    unsigned char addrs[MA_NET_DNS_MAX_ANSWERS][16];
    uint32_t ttl;    /* seconds: the smallest TTL of the CNAMEs and addresses used; for an answer
                        without addresses the SOA's negative TTL (RFC 2308: min of its TTL and
                        MINIMUM), or 0 when there is no SOA */
    size_t ncname;   /* CNAME hops followed */
    char canon[256]; /* the name the addresses belong to (lower case) */
};

/* Write the query for (name, qtype) with the given id into out[0..cap): header with RD set, one
 * question, class IN, no EDNS. name is a host name with or without a final '.', compared case-
 * insensitively later. Returns the length (> 0); MA_ERR_SYNTAX with em when name is empty, has an
 * empty label, a label over 63 bytes, a byte that is not a letter, digit, '-' or '_', or is over
 * 253 bytes; MA_ERR_NOSPACE when cap is too small (MA_NET_DNS_MAX_QUERY always suffices). */
int ma_net_dns_build_query(unsigned char *out, size_t cap, uint16_t id, const char *name,
                           uint16_t qtype, struct ma_errmsg *em);

/* Parse msg[0..len) as the reply to the query (id, name, qtype) and fill *ans. Returns:
 *   MA_OK: a reply to that query; ans->rcode says what it is (addresses only with NOERROR), and
 *     ans->truncated that it must be asked again over TCP;
 *   MA_ERR_DENIED: well-formed enough to see it answers something else (QR clear, other id, other
 *     question): a stray or spoofed datagram the caller ignores;
 *   MA_ERR_SYNTAX: malformed (bad offsets, compression loops, names over 255 bytes, wrong record
 *     lengths, a CNAME chain over MA_NET_DNS_MAX_CNAME), em says where.
 * Never reads outside msg[0..len). *ans is reset first. */
int ma_net_dns_parse_reply(const unsigned char *msg, size_t len, uint16_t id, const char *name,
                           uint16_t qtype, struct ma_net_dns_answer *ans, struct ma_errmsg *em);

/* "NXDOMAIN", "SERVFAIL", ... or "rcode 9". Static or in buf[16]. */
const char *ma_net_dns_rcode_name(int rcode, char buf[16]);

#endif
