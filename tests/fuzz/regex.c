/* Fuzz base/regex. Input: flags byte, pattern, NUL, subject. Invariants: compile fails with a
 * message or yields a program; a match's slots are ordered offsets inside the subject with group
 * 0 set; searching without slots agrees with searching with them; a full match spans the whole
 * subject and implies a search match; Expand of a template stays bounded; QuoteMeta of the
 * subject, when it compiles, full-matches the subject. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/regex.h"

#define NSUB 32

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_sub(const long *sub, int n, size_t len)
{
    int i;

    check(sub[0] >= 0 && sub[1] >= sub[0] && (size_t)sub[1] <= len);
    for (i = 2; i < n; i += 2) {
        check((sub[i] == -1) == (sub[i + 1] == -1));
        if (sub[i] >= 0)
            check(sub[i + 1] >= sub[i] && (size_t)sub[i + 1] <= len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *pat, *s, *nul;
    size_t plen, slen;
    struct ma_regex *re;
    struct ma_errmsg em;
    long sub[NSUB];
    struct ma_buf out;
    int r, ok, full, nsub;

    if (size < 1)
        return 0;
    pat = (const char *)data + 1;
    nul = memchr(pat, '\0', size - 1);
    plen = nul ? (size_t)(nul - pat) : size - 1;
    s = nul ? nul + 1 : pat + plen;
    slen = nul ? size - 1 - plen - 1 : 0;

    memset(&em, 0, sizeof em);
    r = ma_regex_compile(pat, plen, data[0] & 15, &re, &em);
    if (r != MA_OK) {
        check((r == MA_ERR_SYNTAX || r == MA_ERR_LIMIT) && re == NULL && em.msg[0] != '\0');
        return 0;
    }
    nsub = 2 * (ma_regex_ngroups(re) + 1);
    if (nsub > NSUB)
        nsub = NSUB;
    ok = ma_regex_search(re, s, slen, sub, nsub);
    check(ok == ma_regex_search(re, s, slen, NULL, 0));
    if (ok) {
        check_sub(sub, nsub, slen);
        ma_buf_init_heap(&out, 1 << 16);
        ma_regex_expand(re, s, slen, s, sub, nsub, &out); /* the subject as a template */
        check(out.len <= 1 << 16);
        ma_buf_free(&out);
    }
    full = ma_regex_fullmatch(re, s, slen, sub, nsub);
    if (full) {
        check_sub(sub, nsub, slen);
        check(sub[0] == 0 && (size_t)sub[1] == slen && ok);
    }
    ma_regex_free(re);

    ma_buf_init_heap(&out, 1 << 20);
    ma_regex_quote_meta(s, slen, &out);
    if (ma_regex_compile(out.p ? out.p : "", out.len, 0, &re, NULL) == MA_OK) {
        check(ma_regex_fullmatch(re, s, slen, NULL, 0) == 1);
        ma_regex_free(re);
    }
    ma_buf_free(&out);
    return 0;
}
