/*
 * test_writeback.c - the export stage's pure pieces: cutting text to a
 * Salesforce length on UTF-8 boundaries, CSV values of request rows,
 * transient row errors.
 */
#include <string.h>

#include "strbuf.h"
#include "tap.h"
#include "writeback.h"

/* UTF-16 units of a UTF-8 string, as Salesforce counts length. */
static size_t units(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			n += *p >= 0xF0 ? 2 : 1;
	return n;
}

static void test_cut(void)
{
	struct strbuf sb = STRBUF_INIT;
	char big[400];
	size_t mlen = strlen(WB_CUT_MARKER);
	int bad = 0;

	is_int(wb_cut(&sb, "short", 80), 0, "short text is kept");
	is_str(sb.buf, "short", "short text unchanged");

	strbuf_reset(&sb);
	memset(big, 'a', 300);
	big[300] = '\0';
	is_int(wb_cut(&sb, big, 255), 1, "300 characters are cut to 255");
	is_int((long)units(sb.buf), 255, "the result is exactly 255 long");
	ok(strcmp(sb.buf + sb.len - mlen, WB_CUT_MARKER) == 0,
	   "the cut ends with the marker");

	/* 100 e-acute (2 bytes each): cut within characters, never bytes */
	strbuf_reset(&sb);
	big[0] = '\0';
	for (int i = 0; i < 100; i++)
		strcat(big, "\xc3\xa9");
	is_int(wb_cut(&sb, big, 80), 1, "100 two-byte characters cut to 80");
	is_int((long)units(sb.buf), 80, "80 characters long");
	is_int((long)utf8_check(sb.buf, sb.len, &bad), (long)sb.len,
	       "still valid UTF-8");
	is_int(bad, 0, "no broken sequence");

	/* emoji count two units each: a pair is never split */
	strbuf_reset(&sb);
	big[0] = '\0';
	for (int i = 0; i < 50; i++)
		strcat(big, "\xf0\x9f\x91\x8d");
	is_int(wb_cut(&sb, big, 81), 1, "50 emoji (100 units) cut to 81");
	ok(units(sb.buf) <= 81, "at most 81 units (%zu)", units(sb.buf));
	is_int((long)utf8_check(sb.buf, sb.len, &bad), (long)sb.len,
	       "emoji kept whole");

	strbuf_reset(&sb);
	is_int(wb_cut(&sb, big, 100), 0, "exactly at the limit: not cut");
	strbuf_release(&sb);
}

static void test_csv_value(void)
{
	struct strbuf sb = STRBUF_INIT;

	wb_csv_value(&sb, "plain text");
	is_str(sb.buf, "plain text", "no quotes when not needed");
	strbuf_reset(&sb);
	wb_csv_value(&sb, "a,b");
	is_str(sb.buf, "\"a,b\"", "comma quoted");
	strbuf_reset(&sb);
	wb_csv_value(&sb, "say \"hi\"\nbye");
	is_str(sb.buf, "\"say \"\"hi\"\"\nbye\"", "quotes doubled, newline kept");
	strbuf_release(&sb);
}

static void test_transient(void)
{
	is_int(wb_error_transient("UNABLE_TO_LOCK_ROW:unable to obtain "
				  "exclusive access:--"), 1, "lock: retry");
	is_int(wb_error_transient("INVALID_CROSS_REFERENCE_KEY:invalid "
				  "cross reference id:--"), 0,
	       "bad reference: for good");
	is_int(wb_error_transient("UNABLE_TO_LOCK_ROWS:x"), 0,
	       "the code is matched whole");
	is_int(wb_error_transient(""), 0, "empty: for good");
}

int main(void)
{
	test_cut();
	test_csv_value();
	test_transient();
	return tap_done();
}
