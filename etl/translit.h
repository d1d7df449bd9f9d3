/*
 * translit.h - personal names written in other scripts, romanised so
 * that they compare with the Latin spelling of the same name: CRM '王伟'
 * and profile 'Wei Wang', 'Юлия Смирнова' and 'Yulia Smirnova'.
 *
 * The match stage folds every name (norm_fold); a folded name that is
 * not in Latin script then goes through here.  The romanisation is ICU's
 * (libicu, the transliterator "Russian-Latin/BGN; Any-Latin;
 * Latin-ASCII"): BGN/PCGN for Cyrillic, as English-language sources
 * write Russian names ('Юлия' -> 'yuliya', not ISO 9's 'ûliâ'), Hanyu
 * Pinyin for Han, Hepburn for kana, ICU's defaults for Greek, Hangul,
 * the Indic scripts and Thai.
 *
 * What it cannot do, and why the matcher counts a romanised name that
 * disagrees as missing, not as a disagreement, unless it was Cyrillic
 * or Greek (see match.c, compare_level()):
 *   - a Japanese name in kanji reads one way in Japanese and another in
 *     Chinese; ICU, like anything without a dictionary of names, gives
 *     the Chinese reading ('佐藤' -> 'zuoteng', not 'sato');
 *   - Korean, Indic and Thai names have several romanisations in use
 *     that differ by more than a letter ('김' is 'gim' here, 'Kim' on
 *     most business cards);
 *   - Arabic and Hebrew do not write most vowels ('محمد' -> 'mhmd'), so
 *     names in them are left as they are (compared only with names in
 *     the same script);
 *   - Cyrillic and Greek romanisations differ by a letter or two
 *     ('Alexander', 'Aleksandr'): the similarity levels of the job
 *     absorb that, so a disagreement there is one ('Юрий', 'Ivan').
 *
 * Thread-safe: ICU's transliterator is opened once, on first use, and
 * used under a lock.  Callers are expected to memoise (the match stage
 * normalises each distinct raw name once per loading thread), so the
 * lock is taken a few thousand times per run, not once per record.
 * The romanisation depends on the ICU version's data, as folding
 * depends on utf8proc's Unicode version.
 */
#ifndef CRMSYNC_TRANSLIT_H
#define CRMSYNC_TRANSLIT_H

#include <stddef.h>

#include "strbuf.h"

/*
 * Romanises folded name `s` (`len` bytes, norm_fold() output: words
 * joined by one space) into `out`, which is reset first.  Each word in
 * Greek, Cyrillic, an Indic script, Thai, Hangul, Han or kana is
 * replaced by its romanisation, with no space inside it (a Chinese
 * given name is one word: '志强' -> 'zhiqiang'); other words are copied
 * as they are.  The result is not folded again: the caller folds it
 * (ICU leaves case and a few marks alone).
 *
 * Returns the enum norm_script of the first word romanised, 0 when no
 * word was (`out` then holds `s` unchanged), or -1 when ICU could not
 * open its transliterator (missing data, out of memory; `out` holds `s`
 * and translit_error() says why, for the caller to report once).
 */
int translit_name(struct strbuf *out, const char *s, size_t len);

/* Why the transliterator could not be opened (ICU's error name), or
 * NULL while it could (or has not been needed yet). */
const char *translit_error(void);

#endif
