/*
 * utf8.c - UTF-8 validation for the CSV layer (see utf8_check() in
 * csvio.h).
 *
 * Staged files are mostly ASCII, so the validator first looks at 16 bytes
 * at a time for a byte with the high bit set or a NUL, and only decodes
 * sequences byte by byte where it finds one.  The multi-byte rules are
 * those of the Unicode "well-formed UTF-8 byte sequences" table: no
 * overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
 */
#include <stdint.h>
#include <string.h>

#include "csvio.h"

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Non-zero when one of the 8 bytes of `v` is >= 0x80 or == 0. */
static inline uint64_t word_not_plain(uint64_t v)
{
	return (v | ((v - ONES) & ~v)) & HIGHS;
}

/*
 * Length of the well-formed multi-byte sequence starting at s[0] (a byte
 * >= 0x80) within `left` bytes, or 0 when it is malformed or cut short.
 */
static size_t sequence_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0; /* continuation byte, C0/C1 overlong lead, F5.. */
	if (c == 0xe0)
		lo = 0xa0; /* overlong 3-byte form */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong 4-byte form */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t utf8_check(const char *str, size_t len, int *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	*bad = 0;
	while (i < len) {
		uint64_t a, b;
		size_t n;

		if (len - i >= 16) {
			memcpy(&a, s + i, 8);
			memcpy(&b, s + i + 8, 8);
			if (!(word_not_plain(a) | word_not_plain(b))) {
				i += 16;
				continue;
			}
		}
		if (s[i] == 0)
			goto bad;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		n = sequence_len(s + i, len - i);
		if (!n)
			goto bad;
		i += n;
	}
	return len;
bad:
	*bad = 1;
	return i;
}
