#include "net/dns.h"

#include <string.h>

#include "t.h"

/* A tiny message builder for the reply vectors. */
struct msg {
    unsigned char b[1024];
    size_t n;
};

static void u8(struct msg *m, unsigned v)
{
    m->b[m->n++] = (unsigned char)v;
}

static void u16(struct msg *m, unsigned v)
{
    u8(m, v >> 8);
    u8(m, v & 0xFF);
}

static void u32(struct msg *m, uint32_t v)
{
    u16(m, v >> 16);
    u16(m, v & 0xFFFF);
}

/* "a.b" as labels, ending in a zero byte (or in a pointer when ptr >= 0). */
static void name(struct msg *m, const char *s, int ptr)
{
    while (*s) {
        size_t l = strcspn(s, ".");

        u8(m, (unsigned)l);
        memcpy(m->b + m->n, s, l);
        m->n += l;
        s += l + (s[l] == '.');
    }
    if (ptr >= 0)
        u16(m, 0xC000u | (unsigned)ptr);
    else
        u8(m, 0);
}

static void header(struct msg *m, unsigned id, unsigned flags, unsigned an, unsigned ns)
{
    m->n = 0;
    u16(m, id);
    u16(m, flags);
    u16(m, 1);
    u16(m, an);
    u16(m, ns);
    u16(m, 0);
}

static void question(struct msg *m, const char *qn, unsigned type)
{
    name(m, qn, -1);
    u16(m, type);
    u16(m, 1);
}

static void rr_head(struct msg *m, unsigned type, uint32_t ttl, unsigned rdlen)
{
    u16(m, type);
    u16(m, 1);
    u32(m, ttl);
    u16(m, rdlen);
}

static int parse(const struct msg *m, uint16_t id, const char *qn, uint16_t type,
                 struct ma_net_dns_answer *a)
{
    struct ma_errmsg em;
    const unsigned char *p = (const unsigned char *)t_place(m->b, m->n);

    return ma_net_dns_parse_reply(p, m->n, id, qn, type, a, &em);
}

static void test_build_query(void)
{
    unsigned char q[MA_NET_DNS_MAX_QUERY];
    static const unsigned char want[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                         2, 'a', 'b', 1, 'c', 0, 0, 28, 0, 1};
    struct ma_errmsg em;
    char longlabel[80], longname[300];

    CHECK_EQ(ma_net_dns_build_query(q, sizeof q, 0x1234, "Ab.c.", MA_NET_DNS_AAAA, &em),
             (int)sizeof want);
    CHECK_MEM(q, want, sizeof want);
    CHECK_EQ(ma_net_dns_build_query(q, sizeof q, 1, "Ab.c", MA_NET_DNS_AAAA, &em), (int)sizeof want);
    CHECK_EQ(ma_net_dns_build_query(q, sizeof q, 1, "", MA_NET_DNS_A, &em), MA_ERR_SYNTAX);
    CHECK_EQ(ma_net_dns_build_query(q, sizeof q, 1, "a..b", MA_NET_DNS_A, &em), MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "label") != NULL);
    CHECK_EQ(ma_net_dns_build_query(q, sizeof q, 1, "a b", MA_NET_DNS_A, &em), MA_ERR_SYNTAX);
    memset(longlabel, 'x', 64);
    longlabel[64] = '\0';
    CHECK_EQ(ma_net_dns_build_query(q, sizeof q, 1, longlabel, MA_NET_DNS_A, &em), MA_ERR_SYNTAX);
    longlabel[63] = '\0';
    CHECK_EQ(ma_net_dns_build_query(q, sizeof q, 1, longlabel, MA_NET_DNS_A, &em), 12 + 65 + 4);
    for (size_t i = 0; i < 254; i++)
        longname[i] = i % 2 ? '.' : 'a';
    longname[253] = '\0'; /* 253 bytes: the longest name */
    CHECK(ma_net_dns_build_query(q, sizeof q, 1, longname, MA_NET_DNS_A, &em) > 0);
    longname[253] = 'b';
    longname[254] = '\0';
    CHECK_EQ(ma_net_dns_build_query(q, sizeof q, 1, longname, MA_NET_DNS_A, &em), MA_ERR_SYNTAX);
    CHECK_EQ(ma_net_dns_build_query(q, 20, 1, "abc.def", MA_NET_DNS_A, &em), MA_ERR_NOSPACE);
}

/* One A record, its name a pointer to the question: the common CoreDNS answer. */
static void simple_a(struct msg *m)
{
    header(m, 0xBEEF, 0x8180, 1, 0);
    question(m, "falcon.example", MA_NET_DNS_A);
    u16(m, 0xC00C);
    rr_head(m, MA_NET_DNS_A, 30, 4);
    u32(m, 0x0A000001);
}

static void test_simple(void)
{
    struct msg m;
    struct ma_net_dns_answer a;

    simple_a(&m);
    CHECK_EQ(parse(&m, 0xBEEF, "Falcon.Example.", MA_NET_DNS_A, &a), MA_OK);
    CHECK_EQ(a.rcode, MA_NET_DNS_NOERROR);
    CHECK_EQ(a.truncated, 0);
    CHECK_EQ(a.naddrs, 1);
    CHECK_EQ(a.ttl, 30);
    CHECK_MEM(a.addrs[0], "\x0a\x00\x00\x01", 4);
    CHECK_STR(a.canon, "falcon.example");
    /* not ours: other id, a query, other name, other type */
    CHECK_EQ(parse(&m, 0xBEEE, "falcon.example", MA_NET_DNS_A, &a), MA_ERR_DENIED);
    CHECK_EQ(parse(&m, 0xBEEF, "falcon.example2", MA_NET_DNS_A, &a), MA_ERR_DENIED);
    CHECK_EQ(parse(&m, 0xBEEF, "falcon.example", MA_NET_DNS_AAAA, &a), MA_ERR_DENIED);
    m.b[2] &= 0x7F;
    CHECK_EQ(parse(&m, 0xBEEF, "falcon.example", MA_NET_DNS_A, &a), MA_ERR_DENIED);
}

/* Every strict prefix of a valid reply is refused, and never read beyond. */
static void test_prefixes(void)
{
    struct msg m;
    struct ma_net_dns_answer a;

    simple_a(&m);
    for (size_t n = 0; n < m.n; n++) {
        struct msg p = m;

        p.n = n;
        CHECK(parse(&p, 0xBEEF, "falcon.example", MA_NET_DNS_A, &a) != MA_OK);
    }
}

static void test_cname_chain(void)
{
    struct msg m;
    struct ma_net_dns_answer a;
    size_t at;

    /* the address first, the CNAMEs after: order does not matter */
    header(&m, 7, 0x8180, 4, 0);
    question(&m, "api.example", MA_NET_DNS_AAAA);
    at = m.n;
    name(&m, "edge", 12 + 4); /* "edge" + pointer to "example" in the question */
    rr_head(&m, MA_NET_DNS_AAAA, 50, 16);
    for (int i = 0; i < 15; i++)
        u8(&m, 0);
    u8(&m, 1);
    name(&m, "other", -1); /* an unrelated address: ignored */
    rr_head(&m, MA_NET_DNS_AAAA, 1, 16);
    for (int i = 0; i < 16; i++)
        u8(&m, 9);
    u16(&m, 0xC00C);
    rr_head(&m, MA_NET_DNS_CNAME, 40, 5);
    name(&m, "lb", 12 + 4); /* api.example -> lb.example */
    name(&m, "lb", 12 + 4);
    rr_head(&m, MA_NET_DNS_CNAME, 60, 2);
    u16(&m, 0xC000u | (unsigned)at); /* lb.example -> edge.example */
    CHECK_EQ(parse(&m, 7, "api.example", MA_NET_DNS_AAAA, &a), MA_OK);
    CHECK_EQ(a.naddrs, 1);
    CHECK_EQ(a.ncname, 2);
    CHECK_STR(a.canon, "edge.example");
    CHECK_EQ(a.addrs[0][15], 1);
    CHECK_EQ(a.ttl, 40);
}

static void test_cname_loop(void)
{
    struct msg m;
    struct ma_net_dns_answer a;
    struct ma_errmsg em;
    size_t b;

    header(&m, 7, 0x8180, 2, 0);
    question(&m, "a.example", MA_NET_DNS_A);
    u16(&m, 0xC00C);
    rr_head(&m, MA_NET_DNS_CNAME, 40, 4);
    b = m.n;
    name(&m, "b", 14); /* b.example */
    name(&m, "b", 14);
    rr_head(&m, MA_NET_DNS_CNAME, 40, 2);
    u16(&m, 0xC00C); /* back to a.example */
    (void)b;
    CHECK_EQ(ma_net_dns_parse_reply(m.b, m.n, 7, "a.example", MA_NET_DNS_A, &a, &em),
             MA_ERR_SYNTAX);
    CHECK(strstr(em.msg, "CNAME chain") != NULL);
}

static void test_truncated_and_nxdomain(void)
{
    struct msg m;
    struct ma_net_dns_answer a;

    header(&m, 9, 0x8380, 0, 0); /* TC */
    question(&m, "big.example", MA_NET_DNS_A);
    CHECK_EQ(parse(&m, 9, "big.example", MA_NET_DNS_A, &a), MA_OK);
    CHECK_EQ(a.truncated, 1);
    CHECK_EQ(a.naddrs, 0);

    header(&m, 9, 0x8183, 0, 1); /* NXDOMAIN with the zone's SOA */
    question(&m, "gone.example", MA_NET_DNS_A);
    u16(&m, 0xC000u | 17); /* "example" */
    rr_head(&m, MA_NET_DNS_SOA, 300, 2 + 2 + 20);
    u16(&m, 0xC000u | 17);
    u16(&m, 0xC000u | 17);
    u32(&m, 1);
    u32(&m, 2);
    u32(&m, 3);
    u32(&m, 4);
    u32(&m, 60); /* MINIMUM */
    CHECK_EQ(parse(&m, 9, "gone.example", MA_NET_DNS_A, &a), MA_OK);
    CHECK_EQ(a.rcode, MA_NET_DNS_NXDOMAIN);
    CHECK_EQ(a.ttl, 60);
    m.b[m.n - 1] = 0; /* SOA MINIMUM 0... */
    CHECK_EQ(parse(&m, 9, "gone.example", MA_NET_DNS_A, &a), MA_OK);
    CHECK_EQ(a.ttl, 0);
    m.b[m.n - 12] = 0; /* ... and a SOA of the wrong length */
    m.b[m.n - 26] = 23;
    CHECK_EQ(parse(&m, 9, "gone.example", MA_NET_DNS_A, &a), MA_ERR_SYNTAX);
}

static void test_malformed(void)
{
    struct msg m;
    struct ma_net_dns_answer a;

    /* a pointer to itself, and one pointing forward */
    header(&m, 1, 0x8180, 1, 0);
    question(&m, "x.example", MA_NET_DNS_A);
    u16(&m, 0xC000u | (unsigned)m.n);
    rr_head(&m, MA_NET_DNS_A, 1, 4);
    u32(&m, 1);
    CHECK_EQ(parse(&m, 1, "x.example", MA_NET_DNS_A, &a), MA_ERR_SYNTAX);
    m.b[m.n - 14 - 1] = (unsigned char)(m.n - 2);
    CHECK_EQ(parse(&m, 1, "x.example", MA_NET_DNS_A, &a), MA_ERR_SYNTAX);
    /* an A record of 5 bytes */
    header(&m, 1, 0x8180, 1, 0);
    question(&m, "x.example", MA_NET_DNS_A);
    u16(&m, 0xC00C);
    rr_head(&m, MA_NET_DNS_A, 1, 5);
    u32(&m, 1);
    u8(&m, 0);
    CHECK_EQ(parse(&m, 1, "x.example", MA_NET_DNS_A, &a), MA_ERR_SYNTAX);
    /* record data running past the end */
    m.b[m.n - 5 - 1] = 40;
    CHECK_EQ(parse(&m, 1, "x.example", MA_NET_DNS_A, &a), MA_ERR_SYNTAX);
    /* two questions */
    simple_a(&m);
    m.b[5] = 2;
    CHECK_EQ(parse(&m, 0xBEEF, "falcon.example", MA_NET_DNS_A, &a), MA_ERR_DENIED);
    /* a label with a '.' inside */
    header(&m, 1, 0x8180, 0, 0);
    u8(&m, 3);
    u8(&m, 'a');
    u8(&m, '.');
    u8(&m, 'b');
    u8(&m, 0);
    u16(&m, 1);
    u16(&m, 1);
    CHECK_EQ(parse(&m, 1, "a.b", MA_NET_DNS_A, &a), MA_ERR_SYNTAX);
}

static void test_many_answers(void)
{
    struct msg m;
    struct ma_net_dns_answer a;

    header(&m, 3, 0x8180, 20, 0);
    question(&m, "headless.example", MA_NET_DNS_A);
    for (unsigned i = 0; i < 20; i++) {
        u16(&m, 0xC00C);
        rr_head(&m, MA_NET_DNS_A, 100 + i, 4);
        u32(&m, 0x0A000000u + i);
    }
    CHECK_EQ(parse(&m, 3, "headless.example", MA_NET_DNS_A, &a), MA_OK);
    CHECK_EQ(a.naddrs, MA_NET_DNS_MAX_ANSWERS);
    CHECK_EQ(a.ttl, 100);
    CHECK_EQ(a.addrs[15][3], 15);
}

static void test_rcode_name(void)
{
    char b[16];

    CHECK_STR(ma_net_dns_rcode_name(3, b), "NXDOMAIN");
    CHECK_STR(ma_net_dns_rcode_name(2, b), "SERVFAIL");
    CHECK_STR(ma_net_dns_rcode_name(9, b), "rcode 9");
}

int main(void)
{
    T_RUN(test_build_query);
    T_RUN(test_simple);
    T_RUN(test_prefixes);
    T_RUN(test_cname_chain);
    T_RUN(test_cname_loop);
    T_RUN(test_truncated_and_nxdomain);
    T_RUN(test_malformed);
    T_RUN(test_many_answers);
    T_RUN(test_rcode_name);
    T_END();
}
