/* Fuzz the DNS reply parser with the question "falcon.example" (A and AAAA, the id taken from the
 * input's first bytes so replies match): never a crash or over-read; on MA_OK the answer is
 * bounded (addresses, CNAME hops, canonical name). Also: a query we build, read back as a reply
 * (QR set), parses as our own question with no addresses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "net/dns.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check(const uint8_t *d, size_t n, uint16_t type)
{
    struct ma_net_dns_answer a;
    struct ma_errmsg em;
    uint16_t id = n >= 2 ? (uint16_t)(d[0] << 8 | d[1]) : 0;
    int rc = ma_net_dns_parse_reply(d, n, id, "falcon.example", type, &a, &em);

    REQUIRE(rc == MA_OK || rc == MA_ERR_SYNTAX || rc == MA_ERR_DENIED);
    if (rc != MA_OK)
        return;
    REQUIRE(a.naddrs <= MA_NET_DNS_MAX_ANSWERS);
    REQUIRE(a.ncname <= MA_NET_DNS_MAX_CNAME);
    REQUIRE(strlen(a.canon) <= MA_NET_DNS_MAX_NAME);
    REQUIRE(a.rcode >= 0 && a.rcode <= 15);
    if (a.truncated || a.rcode != MA_NET_DNS_NOERROR)
        REQUIRE(a.naddrs == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    unsigned char q[MA_NET_DNS_MAX_QUERY];
    char name[300];
    int qn;

    check(d, n, MA_NET_DNS_A);
    check(d, n, MA_NET_DNS_AAAA);
    /* the input as a name: a query built from it reads back as its own question */
    if (n < sizeof name) {
        struct ma_net_dns_answer a;

        memcpy(name, d, n);
        name[n] = '\0';
        qn = ma_net_dns_build_query(q, sizeof q, 0x4242, name, MA_NET_DNS_A, NULL);
        if (qn > 0) {
            q[2] |= 0x80;
            REQUIRE(ma_net_dns_parse_reply(q, (size_t)qn, 0x4242, name, MA_NET_DNS_A, &a, NULL) ==
                    MA_OK);
            REQUIRE(a.naddrs == 0 && a.rcode == 0 && !a.truncated);
        }
    }
    return 0;
}
