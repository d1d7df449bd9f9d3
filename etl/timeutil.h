/*
 * timeutil.h - Salesforce datetimes and the clock.
 *
 * Datetimes travel as text in the Bulk API's form,
 * 2026-11-29T20:15:00.000Z; comparisons are done on milliseconds since
 * the epoch (UTC) so that "2026-11-29T20:15:00Z" and
 * "2026-11-29T20:15:00.000+0000" compare equal.
 *
 * The clock can be pinned with CRMSYNC_NOW=2026-11-29T20:15:00Z so that
 * tests get the same run ids and sync times every time.
 */
#ifndef CRMSYNC_TIMEUTIL_H
#define CRMSYNC_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses YYYY-MM-DDTHH:MM:SS[.fff](Z|+HHMM|-HHMM|+HH:MM) into *ms.
 * Returns 0, or -1 when `s` (of `len` bytes) is not such a datetime or
 * names an impossible date.  This function can't fail otherwise.
 */
int sf_datetime_parse(const char *s, size_t len, int64_t *ms);

/* Formats `ms` as 2026-11-29T20:15:00.000Z into `buf` (>= 25 bytes). */
void sf_datetime_format(int64_t ms, char *buf, size_t size);

/* Now, in ms since the epoch: CRMSYNC_NOW when set and valid, else the
 * real clock. */
int64_t clock_now_ms(void);

/* The real clock, never pinned: for what other systems check (JWT
 * expiry). */
int64_t clock_real_ms(void);

/* Run id for `ms`: 20261129T201500Z (fits in 17 bytes with the NUL). */
void run_id_format(int64_t ms, char *buf, size_t size);

#endif
