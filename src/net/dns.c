#include "net/dns.h"

#include <stdio.h>
#include <string.h>

/* Message layout (RFC 1035 4.1):
 *   header   ID(16) | QR OPCODE(4) AA TC RD | RA Z(3) RCODE(4) | QDCOUNT ANCOUNT NSCOUNT ARCOUNT
 *   question QNAME QTYPE(16) QCLASS(16)
 *   records  NAME TYPE(16) CLASS(16) TTL(32) RDLENGTH(16) RDATA
 * A NAME is labels (length byte 1..63, then bytes) ending in a zero byte, or ending in a 2-byte
 * pointer (top bits 11) to an earlier offset where the rest of the name is (4.1.4). */

#define HDR 12
#define CLASS_IN 1

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

/* see net/dns.h */
int ma_net_dns_build_query(unsigned char *out, size_t cap, uint16_t id, const char *name,
                           uint16_t qtype, struct ma_errmsg *em)
{
    size_t n = strlen(name), o = HDR, i = 0;

    if (n > 0 && name[n - 1] == '.')
        n--;
    if (n > 0 && name[n - 1] == '.') {
        ma_errmsg_set(em, "host name %.80s: empty label", name);
        return MA_ERR_SYNTAX;
    }
    if (n == 0 || n > MA_NET_DNS_MAX_NAME) {
        ma_errmsg_set(em, "host name of %zu bytes (1..%d)", n, MA_NET_DNS_MAX_NAME);
        return MA_ERR_SYNTAX;
    }
    if (cap < HDR + n + 2 + 4)
        return MA_ERR_NOSPACE;
    memset(out, 0, HDR);
    out[0] = (unsigned char)(id >> 8);
    out[1] = (unsigned char)id;
    out[2] = 0x01; /* RD: the nameserver recurses for us */
    out[5] = 1;    /* QDCOUNT */
    while (i < n) {
        size_t j = i, len;

        while (j < n && name[j] != '.')
            j++;
        len = j - i;
        if (len == 0 || len > 63) {
            ma_errmsg_set(em, "host name %.80s: label of %zu bytes (1..63)", name, len);
            return MA_ERR_SYNTAX;
        }
        out[o++] = (unsigned char)len;
        for (; i < j; i++) {
            char ch = name[i];

            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '-' || ch == '_')) {
                ma_errmsg_set(em, "host name %.80s: byte 0x%02x is not a letter, digit, '-' or '_'",
                              name, (unsigned char)ch);
                return MA_ERR_SYNTAX;
            }
            out[o++] = (unsigned char)lower(ch);
        }
        i = j + 1; /* past the '.' (or the end) */
    }
    out[o++] = 0;
    out[o++] = (unsigned char)(qtype >> 8);
    out[o++] = (unsigned char)qtype;
    out[o++] = 0;
    out[o++] = CLASS_IN;
    return (int)o;
}

/* Read the name at *off into text (lower case, dot-separated, no final dot, "" for the root) and
 * move *off past it. Pointers must go strictly backwards, which bounds the jumps and rules out
 * loops; the whole name must fit 255 wire bytes. MA_OK or MA_ERR_SYNTAX. */
static int read_name(const unsigned char *msg, size_t len, size_t *off, char *text,
                     struct ma_errmsg *em)
{
    size_t p = *off, t = 0, wire = 0, end = 0, limit = *off;
    int jumped = 0;

    for (;;) {
        unsigned l;

        if (p >= len)
            goto trunc;
        l = msg[p];
        if ((l & 0xC0) == 0xC0) {
            size_t to;

            if (p + 1 >= len)
                goto trunc;
            to = (size_t)(l & 0x3F) << 8 | msg[p + 1];
            if (!jumped)
                end = p + 2;
            jumped = 1;
            if (to >= limit) {
                ma_errmsg_set(em, "DNS name at %zu: compression pointer %zu does not point back",
                              *off, to);
                return MA_ERR_SYNTAX;
            }
            limit = to;
            p = to;
            continue;
        }
        if (l & 0xC0) {
            ma_errmsg_set(em, "DNS name at %zu: label type 0x%02x", *off, l);
            return MA_ERR_SYNTAX;
        }
        p++;
        wire += l + 1;
        if (wire > 255) {
            ma_errmsg_set(em, "DNS name at %zu: longer than 255 bytes", *off);
            return MA_ERR_SYNTAX;
        }
        if (l == 0)
            break;
        if (p + l > len)
            goto trunc;
        if (t > 0)
            text[t++] = '.';
        for (unsigned i = 0; i < l; i++) {
            unsigned char ch = msg[p + i];

            /* a '.' or NUL inside a label would make the text ambiguous: no real host has one */
            if (ch == '.' || ch == 0) {
                ma_errmsg_set(em, "DNS name at %zu: byte 0x%02x in a label", *off, ch);
                return MA_ERR_SYNTAX;
            }
            text[t++] = (char)lower(ch);
        }
        p += l;
    }
    text[t] = '\0';
    *off = jumped ? end : p;
    return MA_OK;
trunc:
    ma_errmsg_set(em, "DNS name at %zu: runs past the end of the message", *off);
    return MA_ERR_SYNTAX;
}

/* Does text name equal `want` (as given to build_query: any case, maybe a final dot)? */
static int same_name(const char *got, const char *want)
{
    size_t n = strlen(want);

    if (n > 0 && want[n - 1] == '.')
        n--;
    if (strlen(got) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (got[i] != lower((unsigned char)want[i]))
            return 0;
    return 1;
}

struct rr {
    char name[256];
    unsigned type, klass;
    uint32_t ttl;
    size_t rdoff, rdlen;
};

static int read_rr(const unsigned char *msg, size_t len, size_t *off, struct rr *rr,
                   struct ma_errmsg *em)
{
    if (read_name(msg, len, off, rr->name, em) != MA_OK)
        return MA_ERR_SYNTAX;
    if (*off + 10 > len) {
        ma_errmsg_set(em, "DNS record at %zu: truncated", *off);
        return MA_ERR_SYNTAX;
    }
    rr->type = get16(msg + *off);
    rr->klass = get16(msg + *off + 2);
    rr->ttl = get32(msg + *off + 4);
    rr->rdlen = get16(msg + *off + 8);
    rr->rdoff = *off + 10;
    /* RFC 2181 8: a TTL with the top bit set is treated as zero */
    if (rr->ttl & 0x80000000u)
        rr->ttl = 0;
    if (rr->rdoff + rr->rdlen > len) {
        ma_errmsg_set(em, "DNS record at %zu: data runs past the end", *off);
        return MA_ERR_SYNTAX;
    }
    *off = rr->rdoff + rr->rdlen;
    return MA_OK;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* Offsets of the answer records, for the passes that follow the CNAME chain. */
#define MAX_SCAN 256

/* see net/dns.h */
int ma_net_dns_parse_reply(const unsigned char *msg, size_t len, uint16_t id, const char *name,
                           uint16_t qtype, struct ma_net_dns_answer *ans, struct ma_errmsg *em)
{
    char qn[256];
    size_t off = HDR, an, ns, i, hop;
    size_t ans_off[MAX_SCAN], nscan = 0;
    struct rr rr;
    uint32_t ttl = UINT32_MAX;

    memset(ans, 0, sizeof *ans);
    if (len < HDR) {
        ma_errmsg_set(em, "DNS reply of %zu bytes: shorter than a header", len);
        return MA_ERR_SYNTAX;
    }
    if (!(msg[2] & 0x80) || get16(msg) != id || ((msg[2] >> 3) & 0xF) != 0)
        return MA_ERR_DENIED; /* a query, another id, another opcode */
    if (get16(msg + 4) != 1) {
        /* every server echoes the one question; without it the reply cannot be matched */
        ma_errmsg_set(em, "DNS reply with %u questions", get16(msg + 4));
        return MA_ERR_DENIED;
    }
    if (read_name(msg, len, &off, qn, em) != MA_OK)
        return MA_ERR_SYNTAX;
    if (off + 4 > len) {
        ma_errmsg_set(em, "DNS reply: question truncated");
        return MA_ERR_SYNTAX;
    }
    if (!same_name(qn, name) || get16(msg + off) != qtype || get16(msg + off + 2) != CLASS_IN)
        return MA_ERR_DENIED;
    off += 4;
    ans->rcode = msg[3] & 0xF;
    snprintf(ans->canon, sizeof ans->canon, "%s", qn);
    if (msg[2] & 0x02) {
        ans->truncated = 1;
        return MA_OK;
    }
    an = get16(msg + 6);
    ns = get16(msg + 8);
    for (i = 0; i < an; i++) {
        size_t at = off;

        if (read_rr(msg, len, &off, &rr, em) != MA_OK)
            return MA_ERR_SYNTAX;
        if (nscan < MAX_SCAN)
            ans_off[nscan++] = at;
    }
    /* Follow the chain: records may come in any order, so each hop rescans the answers. */
    for (hop = 0;; hop++) {
        int found = 0;

        for (i = 0; i < nscan && !found; i++) {
            size_t o = ans_off[i], t;

            read_rr(msg, len, &o, &rr, NULL);
            if (rr.type != MA_NET_DNS_CNAME || rr.klass != CLASS_IN ||
                strcmp(rr.name, ans->canon) != 0)
                continue;
            if (hop == MA_NET_DNS_MAX_CNAME) {
                ma_errmsg_set(em, "DNS reply for %.80s: CNAME chain longer than %d", qn,
                              MA_NET_DNS_MAX_CNAME);
                return MA_ERR_SYNTAX;
            }
            t = rr.rdoff;
            if (read_name(msg, rr.rdoff + rr.rdlen, &t, ans->canon, em) != MA_OK)
                return MA_ERR_SYNTAX;
            if (t != rr.rdoff + rr.rdlen) {
                ma_errmsg_set(em, "DNS reply for %.80s: CNAME data of %zu bytes", qn, rr.rdlen);
                return MA_ERR_SYNTAX;
            }
            ttl = min32(ttl, rr.ttl);
            found = 1;
        }
        if (!found)
            break;
    }
    ans->ncname = hop;
    for (i = 0; i < nscan; i++) {
        size_t o = ans_off[i], want = qtype == MA_NET_DNS_A ? 4 : 16;

        read_rr(msg, len, &o, &rr, NULL);
        if (rr.type != qtype || rr.klass != CLASS_IN || strcmp(rr.name, ans->canon) != 0)
            continue;
        if (rr.rdlen != want) {
            ma_errmsg_set(em, "DNS reply for %.80s: address record of %zu bytes", qn, rr.rdlen);
            return MA_ERR_SYNTAX;
        }
        if (ans->naddrs < MA_NET_DNS_MAX_ANSWERS)
            memcpy(ans->addrs[ans->naddrs++], msg + rr.rdoff, want);
        ttl = min32(ttl, rr.ttl);
    }
    if (ans->naddrs > 0 && ans->rcode == MA_NET_DNS_NOERROR) {
        ans->ttl = ttl;
        return MA_OK;
    }
    ans->naddrs = 0;
    /* RFC 2308 5: a negative answer lives min(SOA TTL, SOA MINIMUM) */
    for (i = 0; i < ns; i++) {
        size_t o;
        char skip[256];

        if (read_rr(msg, len, &off, &rr, em) != MA_OK)
            return MA_ERR_SYNTAX;
        if (rr.type != MA_NET_DNS_SOA)
            continue;
        o = rr.rdoff;
        if (read_name(msg, rr.rdoff + rr.rdlen, &o, skip, em) != MA_OK ||
            read_name(msg, rr.rdoff + rr.rdlen, &o, skip, em) != MA_OK)
            return MA_ERR_SYNTAX;
        if (o + 20 != rr.rdoff + rr.rdlen) {
            ma_errmsg_set(em, "DNS reply for %.80s: SOA data of %zu bytes", qn, rr.rdlen);
            return MA_ERR_SYNTAX;
        }
        ans->ttl = min32(rr.ttl, get32(msg + o + 16));
        break;
    }
    return MA_OK;
}

/* see net/dns.h */
const char *ma_net_dns_rcode_name(int rcode, char buf[16])
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL",
                                        "NXDOMAIN", "NOTIMP", "REFUSED"};

    if (rcode >= 0 && rcode < (int)(sizeof names / sizeof names[0]))
        return names[rcode];
    snprintf(buf, 16, "rcode %d", rcode);
    return buf;
}
