/*
 * match.c - blocking, scoring and one-to-one resolution (see match.h).
 *
 * Memory: every record of both sides is normalised once (on threads, in
 * batches, each into its place in the side's array) into arenas whose
 * strings never move and carry their length, so records point into
 * them.  The CRM side's blocking keys, 64-bit hashes, fill a hash table
 * of blocks; the directory side, the larger one, is streamed through it
 * once to find each record's blocks, which then list their directory
 * records too.  Threads score chunks of blocks in turn, a block's few
 * records against each other while they are in the cache, each pair
 * once, under the first rule that finds it; their results are merged
 * into what one thread would have made.  Only pairs at or above the
 * threshold are kept, plus the best few candidates of every CRM record
 * (TOP_K) for the audit file and for the rivals, the weight of a
 * record's other candidates that resolve() adds before the one-to-one
 * pass; a pair that provably could be neither is spared the crossed
 * reading of its names (pair_weights_cut()).  `crmsync train` reuses
 * the same blocking to count comparison patterns, for m from confident
 * pairs or by EM.
 */
/* mremap() (the sides' record arrays) */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "csvio.h"
#include "fsutil.h"
#include "log.h"
#include "match.h"
#include "match_prep.h"
#include "norm.h"
#include "schema.h"
#include "sim.h"
#include "translit.h"
#include "strbuf.h"
#include "timeutil.h"
#include "xalloc.h"

/* Canonical fields per model: people have the most, 11 (job.c).  12
 * makes a record (struct rec) two cache lines, 128 bytes: at ten million
 * profiles the 16 of before cost 400 MB more, all of it touched. */
#define NF_MAX 12
#define TOP_K 3    /* candidates per CRM record in the audit file */

/* sort_array() that accepts an empty array (a NULL base is undefined). */
static void sort_array(void *base, size_t n, size_t size,
		       int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* ---- an arena of strings that never move ------------------------------- */

#define ARENA_BLOCK (1u << 20)       /* default block size */
#define ARENA_BIG_BLOCK (16u << 20)  /* the loading threads' blocks */

struct arena {
	char **blocks;
	size_t nblocks, alloc;
	size_t used, cap;
	size_t block;   /* block size; 0: ARENA_BLOCK */
};

/* Makes sure the current block of `a` has `need` bytes free, starting a
 * new block when it has not.  Fails like xmalloc(). */
static void arena_reserve(struct arena *a, size_t need)
{
	size_t block = a->block ? a->block : ARENA_BLOCK;

	if (a->used + need <= a->cap)
		return;
	XGROW(a->blocks, a->alloc, a->nblocks + 1);
	a->cap = need > block ? need : block;
	a->blocks[a->nblocks++] = xmalloc(a->cap);
	a->used = 0;
}

/* Copies `len` bytes of `s`, NUL-terminated; the copy's length is kept
 * in the two bytes before it (vlen()), 65535 meaning "that or more". */
static const char *arena_dup(struct arena *a, const char *s, size_t len)
{
	uint16_t short_len = len > 65535 ? 65535 : (uint16_t)len;
	char *p;

	arena_reserve(a, len + 3);
	p = a->blocks[a->nblocks - 1] + a->used;
	memcpy(p, &short_len, 2);
	p += 2;
	memcpy(p, s, len);
	p[len] = '\0';
	a->used += len + 3;
	return p;
}

/* The length of a string arena_dup() made. */
static size_t vlen(const char *v)
{
	uint16_t n;

	memcpy(&n, v - 2, 2);
	return n == 65535 ? strlen(v) : n;
}

/*
 * A value compared by token set is stored with its distinct words
 * (sim_words()) in front of its length: [words][count][length][string],
 * so that pairs compare words without splitting the strings again.
 * The count is one byte (at most SIM_MAX_TOKENS).
 */
static const char *arena_dup_words(struct arena *a, const char *s, size_t len)
{
	struct sim_word w[SIM_MAX_TOKENS];
	unsigned char n = (unsigned char)sim_words(s, len, w);
	size_t head = n * sizeof(*w) + 1;
	char *p;

	/* the head, at an even offset (the words are uint16_t), then the
	 * value right after it in the same block (arena_dup() then finds
	 * the room reserved here) */
	arena_reserve(a, 1 + head + len + 3);
	a->used += a->used & 1;
	p = a->blocks[a->nblocks - 1] + a->used;
	memcpy(p, w, n * sizeof(*w));
	p[n * sizeof(*w)] = (char)n;
	a->used += head;
	return arena_dup(a, s, len);
}

/* The words arena_dup_words() stored in front of `v`: how many, and
 * where, in *at. */
static size_t vwords(const char *v, const struct sim_word **at)
{
	size_t n = (unsigned char)v[-3];

	*at = (const struct sim_word *)(const void *)(v - 3 - n *
						      sizeof(struct sim_word));
	return n;
}

/* 1 when two arena strings are equal. */
static int vequal(const char *x, const char *y)
{
	size_t n = vlen(x);

	return n == vlen(y) && !memcmp(x, y, n);
}

/* vequal() where either may be NULL: NULL equals nothing. */
static int vequal_opt(const char *x, const char *y)
{
	return x && y && vequal(x, y);
}

static void arena_release(struct arena *a)
{
	for (size_t i = 0; i < a->nblocks; i++)
		free(a->blocks[i]);
	free(a->blocks);
	memset(a, 0, sizeof(*a));
}

/* ---- records ------------------------------------------------------------- */

struct rec {
	const char *id;
	const char *v[NF_MAX];  /* normalised values; NULL: none */
	const char *hash;       /* the email's key (email_key()), when known */
	unsigned obj;           /* index into the model's objects */
	/* the value_meta() of each value is in the side's sketches
	 * (meta_of()) */
};
_Static_assert(sizeof(struct rec) <= 128, "a record fits two cache lines");

/* What value_meta() tells of a value, so that pairs need not work it
 * out again and again. */
#define META_SCRIPT 0x0f    /* enum norm_script of a text value */
#define META_CODE 0x10      /* a region given as a code */
#define META_PERSONAL 0x20  /* an email at a personal domain */
#define META_ROMAN 0x40     /* a name romanised from META_SCRIPT */

/*
 * What pair_bound() reads of a record: the sketch (sim.h) of each value
 * (0: none; SK_HASH: of the email's hash) and its meta byte (value_meta(),
 * which the scoring reads here too), in one cache line.  A side keeps them side by side, so that a pair can be
 * ruled out from two lines instead of the records and their strings,
 * which lie all over the arenas.
 */
#define SK_HASH NF_MAX

struct sketches {
	uint32_t sk[NF_MAX + 1];
	unsigned char meta[NF_MAX];
};
_Static_assert(sizeof(struct sketches) == 64, "sketches fill a cache line");

struct side {
	struct rec *r;
	struct sketches *sk;   /* sk[i]: record i's */
	size_t n, alloc;
	size_t reserved;       /* records r and sk have address space for
				* (side_grow()); 0: none reserved */
	struct arena arena;
};

/* The meta bytes of record `r` of side `s`. */
static const unsigned char *meta_of(const struct side *s, const struct rec *r)
{
	return s->sk[r - s->r].meta;
}

static void side_release(struct side *s)
{
	size_t n = s->reserved ? s->reserved : s->alloc;

	if (s->r)
		(void)munmap(s->r, n * sizeof(*s->r));
	if (s->sk)
		(void)munmap(s->sk, n * sizeof(*s->sk));
	arena_release(&s->arena);
	memset(s, 0, sizeof(*s));
}

/*
 * Values of one field of a parent file by its key, for lookups such as a
 * Contact's "Account.Name" or a profile's "CompanyPage.Website": every
 * record of the side looks one up (resolve_lookups(); 10 million
 * profiles against a million company pages, where a binary search over
 * sorted Ids took 15 s).  So an open-addressing table whose slot holds
 * the Id's hash and the Id, the value stored right after it in the
 * arena: a lookup reads the slot and one or two lines after it.  An Id
 * given twice keeps its first row.
 */
struct lookup_slot {
	const char *id;         /* arena_dup()'d; its value follows it
				 * (lookup_value_of()); NULL: empty */
	uint64_t hash;          /* lookup_hash() of the id */
};

struct lookup {
	const struct schema *schema;
	int field;
	struct lookup_slot *slot;  /* mask + 1 of them */
	size_t mask;
	/* the entries as read, in file order, until lookup_build() */
	struct lookup_slot *read;
	size_t n, alloc;
	struct arena arena;
};

#define FNV_BASIS 14695981039346656037ULL  /* FNV-1a's offset basis */

/* FNV-1a of `len` bytes of `s`, from `h` (FNV_BASIS to start). */
static uint64_t fnv1a_len(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* FNV-1a of the NUL-terminated `s`, from `h` (FNV_BASIS to start). */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t lookup_hash(const char *id, size_t len)
{
	uint64_t h = fnv1a_len(FNV_BASIS, id, len);

	return h ^ (h >> 32);
}

/* The value stored after Id `id` (`len` bytes) by lookup_add(). */
static const char *lookup_value_of(const char *id, size_t len)
{
	return id + len + 3;
}

/* The slot of Id `id` (`len` bytes, hash `h`) in `l`: the one holding
 * it, or the empty one where it would go. */
static struct lookup_slot *lookup_slot(const struct lookup *l,
				       const char *id, size_t len, uint64_t h)
{
	for (size_t j = h & l->mask;; j = (j + 1) & l->mask) {
		struct lookup_slot *sl = &l->slot[j];

		if (!sl->id || (sl->hash == h && vlen(sl->id) == len &&
				!memcmp(sl->id, id, len)))
			return sl;
	}
}

/* Adds Id `id` with value `value` to the entries of `l` (the table is
 * built once they are all read: lookup_build()). */
static void lookup_add(struct lookup *l, const char *id, size_t len,
		       const char *value, size_t vlen_)
{
	XGROW(l->read, l->alloc, l->n + 1);
	/* the value right after the Id, in the same block */
	arena_reserve(&l->arena, len + vlen_ + 6);
	l->read[l->n].id = arena_dup(&l->arena, id, len);
	l->read[l->n].hash = lookup_hash(id, len);
	(void)arena_dup(&l->arena, value, vlen_);
	l->n++;
}

/*
 * Builds the table of `l` from its entries, at most half full; the first
 * entry of an Id wins.  The slots of LOOKUP_GROUP entries are fetched
 * before any is filled: a million company pages make a table of 32 MB,
 * and each insertion is a trip to memory.
 */
#define LOOKUP_GROUP 16

static void lookup_build(struct lookup *l)
{
	size_t cap = 16;

	while (cap < 2 * l->n)
		cap <<= 1;
	l->slot = xcalloc(cap, sizeof(*l->slot));
	l->mask = cap - 1;
	for (size_t g = 0; g < l->n; g += LOOKUP_GROUP) {
		size_t end = g + LOOKUP_GROUP < l->n ? g + LOOKUP_GROUP : l->n;

		for (size_t i = g; i < end; i++)
			__builtin_prefetch(&l->slot[l->read[i].hash & l->mask],
					   1);
		for (size_t i = g; i < end; i++) {
			const struct lookup_slot *e = &l->read[i];
			struct lookup_slot *sl = lookup_slot(l, e->id,
							     vlen(e->id),
							     e->hash);

			if (!sl->id)
				*sl = *e;
		}
	}
	free(l->read);
	l->read = NULL;
	l->alloc = 0;
}

/* What the stage knows about one model. */
struct blocks;

struct model {
	const struct match_model *m;
	const char *label;          /* "people" | "accounts" */
	enum prep_kind kind[NF_MAX];
	unsigned char words[NF_MAX]; /* values carry their words (value_dup) */
	int email_field;            /* -1 when none */
	int country_field;          /* -1 when none */
	int cmp_first, cmp_last;    /* comparisons of the names, or -1 */
	double cross_max;           /* the best the names crossed can weigh */
	int swap_key[MATCH_MAX_RULES][2]; /* find_swap_keys() */
	unsigned char crossed[MATCH_MAX_RULES]; /* find_swap_keys() */
	int field_first, field_last; /* fields of the name comparisons, or -1 */
	/* a blocking key reads the field's phonetic code, or a key or the
	 * term frequencies its whole value: its values carry the code, or
	 * their hash (value_dup()) */
	unsigned char phonetic[NF_MAX], hashed[NF_MAX];
	/* the memo's entries of field f serve the fields of the same
	 * memo_class[f] (share_memo()) */
	unsigned char memo_class[NF_MAX];
	int has_implied;            /* a comparison has implied_by */
	/* each field's sketch (value_sketch()): the kind its comparison
	 * needs, NONE when it has none or two of different kinds */
	enum sim_sketch_kind sketch[NF_MAX];
	double floor;               /* candidate_floor, not over the
				     * threshold */
	/* pair_bound()'s tables (bound_tables()): comparison i's best
	 * weight from level l on is lv_max[lv_at[i] + l] (-INFINITY past
	 * the last); its steps, the comparisons in the order they are
	 * bounded (NAMES_STEP: first and last names together), and the
	 * most the steps from k on can add for CRM record c,
	 * rest[c * (nsteps + 1) + k] (its term frequencies: a common name
	 * can add less than the rarest) */
	double *lv_max;
	size_t lv_at[NF_MAX];
	/* comparison i's first level holds only for equal values (then
	 * weighs their term frequency); some comparison is implied by i
	 * (pair_bound() bounds them together), i neither a name nor
	 * implied itself */
	unsigned char equal_only[NF_MAX], implies[NF_MAX];
	size_t implying[NF_MAX], nimplying; /* those i with implies[i] */
	int step[NF_MAX + 1];
	size_t nsteps;
	double *rest;
	struct side crm, dir;
	uint64_t skipped;
	/* parent values read through lookups ("Account.Name") */
	struct lookup *lookups;
	size_t nlookups;
	double prior;               /* log2 prior odds, in every score */
	/* term frequencies: comparison i with term_frequency has slot
	 * tf_slot[i] >= 0; tf_count[c * ntf + slot] is the number of
	 * directory records holding CRM record c's value, out of
	 * tf_total[slot] directory records with a value */
	int tf_slot[NF_MAX];
	size_t ntf;
	uint32_t *tf_count;
	uint64_t tf_total[NF_MAX];
	/* for a slot whose comparison has term_frequency_given: the
	 * directory records holding both CRM record c's value and its
	 * value of the given comparison (tf_joint), and those holding the
	 * given value (tf_given), at [c * ntf + slot] */
	uint32_t *tf_joint, *tf_given;
	/* what pairs weigh of them (tf_weights()), at [c * ntf + slot]:
	 * log2(m / u) of the first level with u the term frequency
	 * (tf_w) and with u that of term_frequency_given (tf_gw); NAN
	 * when there is none (the level's own weight applies) */
	double *tf_w, *tf_gw;
	/* the CRM side's blocks, built on a thread of their own while the
	 * term frequencies are counted (blocks_start()), until find_pairs()
	 * takes them (blocks_take()); NULL when none are being built */
	struct blocks *bl;
	pthread_t bl_thread;
	int bl_threaded;            /* bl is built on bl_thread */
};

/* Whether the model maps any field of CRM object `obj`: an object it
 * maps nothing of takes no part (no mirror needed, no report row). */
static int object_used(const struct model *md, size_t obj)
{
	for (size_t f = 0; f < md->m->nfields; f++)
		if (md->m->fields[f].src[obj].nfields)
			return 1;
	return 0;
}

/* The meta byte of normalised value `v` of field `f`, which prep_value()
 * romanised from script `romanised` (0: it did not). */
static unsigned char value_meta(const struct model *md, size_t f,
				const char *v, int romanised)
{
	const char *at;

	if ((int)f == md->email_field)
		return (at = strchr(v, '@')) && norm_email_personal(at + 1) ?
		       META_PERSONAL : 0;
	switch (md->kind[f]) {
	case PREP_NAME:
	case PREP_FIRST_NAME:
		if (romanised > 0)
			return (unsigned char)((romanised & META_SCRIPT) |
					       META_ROMAN);
		/* fall through */
	case PREP_TEXT:
	case PREP_CITY:
		return (unsigned char)norm_script_of(v);
	case PREP_REGION:
		return prep_region_code(v) ? META_CODE : 0;
	default:
		return 0;
	}
}

/*
 * Loading runs on threads: the reading thread copies the raw values each
 * record needs into a batch, and workers normalise whole batches (the
 * costly part: Unicode folding, phones, domains) straight into the
 * side's record array, at the place the reading order gives the batch,
 * and their strings into the thread's own arena (big blocks, handed to
 * the side at the end).  So the records come out in file order whatever
 * the threads did, and are written once.  The array only grows (and
 * moves) while no batch is out.  A finished batch is filled again (its
 * buffers kept): fresh buffers for each of the thousand batches of a
 * large file cost a page fault per 4 kB.
 */
#define LOAD_BATCH 8192   /* rows per batch */
/* The records a side's arrays start with room for (side_grow()). */
#define SIDE_FIRST 4096
#define NO_VALUE SIZE_MAX
#define LOOKED_UP ((size_t)1 << (sizeof(size_t) * 8 - 2))

/* Mapping `p` of `from` bytes (NULL: none yet) grown to `to` bytes; it
 * may move.  Fails like xmalloc(): out of memory, the process ends. */
static void *mapping_grow(void *p, size_t from, size_t to)
{
	p = p ? mremap(p, from, to, MREMAP_MAYMOVE) :
		mmap(NULL, to, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		xalloc_die();
#ifdef MADV_HUGEPAGE
	/* huge pages (see xalloc.h), on the whole mapping: advice on a
	 * part splits the mapping, and mremap() refuses a range of several
	 * (EFAULT) */
	(void)madvise(p, to, MADV_HUGEPAGE);
#endif
	return p;
}

#define HUGE_ALIGN ((size_t)2 << 20)   /* a huge page */

/*
 * Address space for `bytes`, on a 2 MiB boundary, that nothing may
 * touch until array_open() opens it; NULL when the kernel refuses it
 * (a limit on address space: ulimit -v).
 */
static void *array_reserve(size_t bytes)
{
	char *p = mmap(NULL, bytes + HUGE_ALIGN, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *at;

	if (p == MAP_FAILED)
		return NULL;
	at = (char *)(((uintptr_t)p + HUGE_ALIGN - 1) &
		      ~(uintptr_t)(HUGE_ALIGN - 1));
	if (at > p)
		(void)munmap(p, (size_t)(at - p));
	(void)munmap(at + bytes, (size_t)(p + HUGE_ALIGN - at));
	return at;
}

/* Opens bytes [from, to) of array_reserve()'s `p` (of `size` bytes) for
 * reading and writing, in huge pages (see xalloc.h): from the page
 * holding `from` (open already, when `from` is where the last call
 * ended) to the 2 MiB boundary after `to`, so that no huge page is cut
 * by the end of the open part when it is first touched.  Fails like
 * xmalloc(). */
static void array_open(void *p, size_t size, size_t from, size_t to)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	from -= from % page;
	to = to + HUGE_ALIGN - 1 - (to + HUGE_ALIGN - 1) % HUGE_ALIGN;
	if (to > size)
		to = size;
	if (from >= to)
		return;
	if (mprotect((char *)p + from, to - from, PROT_READ | PROT_WRITE))
		xalloc_die();
#ifdef MADV_HUGEPAGE
	(void)madvise((char *)p + from, to - from, MADV_HUGEPAGE);
#endif
}

/*
 * The records a side reserves address space for (SIDE_RESERVE records:
 * 736 GiB of it for both arrays, of the 128 TiB a 64-bit process has;
 * pages count only once written).  None with 32-bit addresses.
 */
#if SIZE_MAX > 0xffffffffu
#define SIDE_RESERVE ((size_t)1 << 32)
#else
#define SIDE_RESERVE ((size_t)0)
#endif

/*
 * Grows the record and sketch arrays of `s` to at least `need` records,
 * doubling.  The arrays open into address space reserved for them
 * (array_reserve()), so that they never move: moved by mremap(), the
 * sketches ended at an address whose 2 MiB pages did not line up with
 * those of before, the kernel split them, and at 1 M x 10 M 550 MB of
 * the 640 MB ended in 4 kB pages.  Read at random (the outputs score
 * the candidates again), each line then cost a walk of the page tables
 * too: the outputs waited on the sketches a third of their time.
 * Where no address space is reserved, each array is a mapping of its
 * own, which mremap() grows by moving page tables, never bytes:
 * realloc() copied gigabytes at ten million records (advice on 2 MiB
 * pages inside it had split glibc's mapping in three, so glibc's
 * mremap() failed with EFAULT and it fell back to copying), and the
 * arrays may move.  They are zero until a batch writes them (fresh
 * pages), so normalise_batch() need not clear them.  Fails like
 * xmalloc(): out of memory (or more records than 32-bit numbers), the
 * process ends.
 */
static void side_grow(struct side *s, size_t need)
{
	size_t alloc = s->alloc ? s->alloc : SIDE_FIRST;

	while (alloc < need) {
		if (alloc > SIZE_MAX / 2 / sizeof(*s->r))
			xalloc_die();
		alloc *= 2;
	}
	if (alloc == s->alloc)
		return;
	/* the tests check the other path: the same results */
	if (!s->r && SIDE_RESERVE != 0 && !getenv("CRMSYNC_TEST_NO_RESERVE")) {
		s->r = array_reserve(SIDE_RESERVE * sizeof(*s->r));
		s->sk = s->r ? array_reserve(SIDE_RESERVE * sizeof(*s->sk))
			     : NULL;
		if (s->sk) {
			s->reserved = SIDE_RESERVE;
		} else if (s->r) {
			(void)munmap(s->r, SIDE_RESERVE * sizeof(*s->r));
			s->r = NULL;
		}
	}
	if (s->reserved) {
		/* (records are numbered with 32 bits) */
		if (need > s->reserved)
			xalloc_die();
		if (alloc > s->reserved)
			alloc = s->reserved;
		array_open(s->r, s->reserved * sizeof(*s->r),
			   s->alloc * sizeof(*s->r), alloc * sizeof(*s->r));
		array_open(s->sk, s->reserved * sizeof(*s->sk),
			   s->alloc * sizeof(*s->sk), alloc * sizeof(*s->sk));
		s->alloc = alloc;
		return;
	}
	s->r = mapping_grow(s->r, s->alloc * sizeof(*s->r),
			    alloc * sizeof(*s->r));
	s->sk = mapping_grow(s->sk, s->alloc * sizeof(*s->sk),
			     alloc * sizeof(*s->sk));
	s->alloc = alloc;
}

/*
 * The memo of the values the loading threads normalised: the same first
 * names, surnames, titles, companies and places come back on most rows,
 * and prep_value() (Unicode folding, table look-ups) plus value_meta()
 * then give the same string and byte again.  A value hit takes the
 * string already in an arena (shared by the records: strings never move
 * nor change), so it costs neither the normalising nor the memory.  Only
 * values whose normalised form depends on nothing but the field and the
 * raw bytes are memoised (not the email, which also gives the hash, nor
 * phones, which read the record's country; a domain taken from an email
 * address by its domain: memo_key()).
 *
 * Two tables.  Names, titles and places are few and come back often:
 * each thread has its own table of 2^17 slots (8 MB), direct-mapped, a
 * new value taking its slot from the one there, which the caches hold.
 * Companies and websites are many, each seen a few times: the generated
 * 10 M profiles hold 3.2 M distinct raw companies (current and previous)
 * and 2 M domains, and each thread's direct-mapped table of 2^21 slots
 * missed more than half of them.  Theirs is one table for all threads
 * (struct memo_many), sized to the file (memo_many_bits()), where a
 * value stays once put: each is normalised about once.  At 1 M x 10 M
 * the companies and domains normalised fell from 13.6 M to 4.9 M,
 * and the match took 63.7-66.6 s instead of 67.0-71.6 s, at a peak RSS
 * 350 MB smaller: fewer copies of the same strings.
 */
#define MEMO_BITS 17
#define MEMO_MANY_MAX_BITS 23
#define MEMO_KEY 41   /* longest raw value memoised (a slot: 64 bytes) */

struct memo_ent {
	uint64_t hash;    /* of the field and the raw value; 0: empty */
	const char *v;    /* the normalised value; NULL: none */
	uint32_t sk;      /* its sketch (value_sketch()) */
	unsigned char f, len, meta;
	char key[MEMO_KEY];
};
_Static_assert(sizeof(struct memo_ent) == 64, "a memo slot fills a line");

/*
 * The loading threads' shared table of companies and websites: open
 * addressing, linear probing, insert-only and without locks.  A thread
 * claims an empty slot by setting its hash to MEMO_BUSY (hashes are odd),
 * fills it, then publishes the hash (release; readers load it with
 * acquire), so a slot whose hash matches is whole.  A busy slot reads
 * as another value's: a thread may then put a value that another is
 * putting too, and the two slots give equal strings.  Probes stop after
 * MEMO_MANY_PROBES slots, and no slot is claimed once 3/4 are, so a full
 * table only stops memoising.
 */
#define MEMO_MANY_PROBES 32
#define MEMO_BUSY 2

struct memo_many {
	struct memo_ent *e;   /* mask + 1 slots */
	size_t mask;
	size_t used;          /* slots claimed (atomic) */
};

struct memo {
	struct memo_ent *e;      /* this thread's: 1 << MEMO_BITS slots,
				  * NULL until used */
	struct memo_many *many;  /* the threads' (load_file()) */
};

/* The size of the shared table for a file of `bytes` (compressed, some
 * 80 bytes a row): a slot per 96 bytes, at least MEMO_BITS, at most
 * MEMO_MANY_MAX_BITS (512 MB) bits. */
static unsigned memo_many_bits(uint64_t bytes)
{
	unsigned bits = MEMO_BITS;

	while (bits < MEMO_MANY_MAX_BITS && ((uint64_t)96 << bits) < bytes)
		bits++;
	return bits;
}

/*
 * The memo's hash of `len` bytes at `s` for field `f`: eight bytes a
 * step, each mixed by a multiply and a shift (SplitMix64's
 * multipliers), where FNV-1a multiplied once a byte: every raw value of
 * every row is hashed, a billion bytes at ten million profiles.  Only
 * the memo sees it (a slot and a check before the key's bytes are
 * compared), so it may differ between machines.
 */
static uint64_t memo_hash(size_t f, const char *s, size_t len)
{
	uint64_t h = (f + 1) * 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	if (len) {
		w = 0;
		memcpy(&w, s, len);
		h = (h ^ w) * 0x94d049bb133111ebULL;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ h >> 32;
}

/* The first slot to look at for raw value `raw` of memo class `f` in
 * `m`, in the shared table when `many` (this thread's table is
 * allocated on first use), the hash in *h. */
static struct memo_ent *memo_slot(struct memo *m, int many, size_t f,
				  const char *raw, size_t len, uint64_t *h)
{
	uint64_t x = memo_hash(f, raw, len) | 1;

	*h = x;
	if (many)
		return &m->many->e[(x >> 7) & m->many->mask];
	if (!m->e)
		m->e = xcalloc((size_t)1 << MEMO_BITS, sizeof(*m->e));
	return &m->e[(x >> 7) & (((size_t)1 << MEMO_BITS) - 1)];
}

/* Whether slot `m` holds key `key` (`klen` bytes) of class `f`, hash `h`
 * (its hash read already, for the shared table with acquire). */
static int memo_holds(const struct memo_ent *m, uint64_t mh, uint64_t h,
		      unsigned char f, const char *key, size_t klen)
{
	return mh == h && m->f == f && m->len == klen &&
	       memcmp(m->key, key, klen) == 0;
}

/* Fills slot `m` but its hash. */
static void memo_fill(struct memo_ent *m, unsigned char f, const char *key,
		      size_t klen, const char *v, uint32_t sk,
		      unsigned char meta)
{
	m->f = f;
	m->len = (unsigned char)klen;
	memcpy(m->key, key, klen);
	m->v = v;
	m->sk = sk;
	m->meta = meta;
}

/* The slot of `t` holding key `key` of class `f` and hash `h`, looking
 * from `home` (memo_slot()) on, or NULL. */
static const struct memo_ent *many_find(const struct memo_many *t,
					const struct memo_ent *home,
					uint64_t h, unsigned char f,
					const char *key, size_t klen)
{
	size_t s = (size_t)(home - t->e);

	for (int k = 0; k < MEMO_MANY_PROBES; k++, s = (s + 1) & t->mask) {
		const struct memo_ent *m = &t->e[s];
		uint64_t mh = __atomic_load_n(&m->hash, __ATOMIC_ACQUIRE);

		if (!mh)
			return NULL;
		if (memo_holds(m, mh, h, f, key, klen))
			return m;
	}
	return NULL;
}

/* Puts the normalised value `v` (its sketch, meta byte) of key `key` of
 * class `f`, hash `h`, into `t`, in the first empty slot from `home` on;
 * does nothing when the table is 3/4 full or no slot is empty nearby. */
static void many_put(struct memo_many *t, struct memo_ent *home, uint64_t h,
		     unsigned char f, const char *key, size_t klen,
		     const char *v, uint32_t sk, unsigned char meta)
{
	size_t s = (size_t)(home - t->e);

	if (__atomic_load_n(&t->used, __ATOMIC_RELAXED) >= (t->mask + 1) / 4 * 3)
		return;
	for (int k = 0; k < MEMO_MANY_PROBES; k++, s = (s + 1) & t->mask) {
		struct memo_ent *m = &t->e[s];
		uint64_t mh = 0;

		if (__atomic_compare_exchange_n(&m->hash, &mh, MEMO_BUSY, 0,
						__ATOMIC_ACQUIRE,
						__ATOMIC_ACQUIRE)) {
			memo_fill(m, f, key, klen, v, sk, meta);
			__atomic_store_n(&m->hash, h, __ATOMIC_RELEASE);
			__atomic_fetch_add(&t->used, 1, __ATOMIC_RELAXED);
			return;
		}
		if (memo_holds(m, mh, h, f, key, klen))
			return;
	}
}

/* Whether field `f` of the model goes to the shared table (struct
 * memo). */
static int memo_many_field(const struct model *md, size_t f)
{
	return md->kind[f] == PREP_COMPANY || md->kind[f] == PREP_DOMAIN;
}

/* Whether field `f` of the model may be memoised (see struct memo). */
static int memo_field(const struct model *md, size_t f)
{
	return (int)f != md->email_field && md->kind[f] != PREP_PHONE &&
	       md->kind[f] != PREP_EMAIL;
}

/*
 * Lets fields normalised and stored alike share their memo entries
 * (memo_class): a profile's company and previous company are the same
 * companies, and at ten million profiles their raw values, each
 * field's memoised apart, crowded one another out of the table (a
 * company missed it two times in three).  Stored alike: the same kind,
 * words and sketch, and the same tail (value_dup()), so a field whose
 * whole values are hashed makes the others of its class keep the hash
 * too.  Call after find_swap_keys().
 */
static void share_memo(struct model *md)
{
	size_t nf = md->m->nfields < NF_MAX ? md->m->nfields : NF_MAX;

	for (size_t f = 0; f < nf; f++) {
		md->memo_class[f] = (unsigned char)f;
		for (size_t g = 0; g < f && memo_field(md, f); g++) {
			if (md->memo_class[g] != g || !memo_field(md, g) ||
			    md->kind[g] != md->kind[f] ||
			    md->words[g] != md->words[f] ||
			    md->phonetic[g] != md->phonetic[f] ||
			    md->sketch[g] != md->sketch[f])
				continue;
			md->memo_class[f] = (unsigned char)g;
			break;
		}
	}
	for (size_t f = 0; f < nf; f++)
		md->hashed[md->memo_class[f]] |= md->hashed[f];
	for (size_t f = 0; f < nf; f++)
		md->hashed[f] = md->hashed[md->memo_class[f]];
}

struct load_batch;

/* Row `i` of batch `b`: the memo slot of each value it may take from the
 * memo, prefetched (NULL for the other values), and the hash in h[]. */
static void memo_refs(const struct model *md, const struct load_batch *b,
		      size_t i, struct memo *memo, struct memo_ent **slot,
		      uint64_t *h);

struct load_batch {
	size_t n;
	struct strbuf raw;     /* raw values, each NUL-terminated */
	size_t *at;            /* per row, nat offsets into raw (NO_VALUE):
				* id, country, then one per field; with
				* LOOKED_UP set, into looked */
	/* values read through a lookup are resolved by the worker
	 * (resolve_lookups()): until then, their at[] (indices in
	 * pending[]) locates a chain of the sources to try in raw */
	size_t *pending;
	size_t npending, pending_alloc;
	struct strbuf looked;  /* the values found, each NUL-terminated */
	unsigned char *sha;    /* per row and field: value is a hashed email */
	unsigned obj;
	struct rec *r;         /* where its records go, in the side's
				* array; their strings go to the arena of
				* the thread that normalises the batch */
	struct sketches *sk;   /* where their sketches go (side.sk) */
	int done;              /* under the queue's lock */
	struct load_batch *next_spare; /* load_file()'s list of joined
				* batches to fill again */
};

/* A batch with room for LOAD_BATCH rows of `nf` fields. */
static struct load_batch *batch_new(size_t nf)
{
	struct load_batch *b = xcalloc(1, sizeof(*b));

	strbuf_init(&b->raw, LOAD_BATCH * 64);
	b->at = xmalloc(LOAD_BATCH * (2 + nf) * sizeof(*b->at));
	b->sha = xmalloc(LOAD_BATCH * (nf ? nf : 1));
	return b;
}

/* Frees batch `b` (its records and strings belong to the side). */
static void batch_free(struct load_batch *b)
{
	strbuf_release(&b->raw);
	strbuf_release(&b->looked);
	free(b->pending);
	free(b->at);
	free(b->sha);
	free(b);
}

struct load_queue {
	pthread_mutex_t lock;
	pthread_cond_t more;   /* a batch was queued, or closed was set */
	pthread_cond_t done;   /* a batch was normalised */
	struct load_batch **all; /* every batch, in reading order */
	size_t nall, alloc;
	size_t queued;         /* the side's records, those of every batch
				* handed out included (reading thread) */
	size_t next;           /* first batch no worker has taken */
	int closed;
	const struct model *md;
	struct load_batch *spare; /* joined batches, to fill again: only
				   * the reading thread touches the list */
	struct arena arena;    /* the strings the reading thread makes */
	struct memo memo;      /* ... and its memo of them */
};

/* A worker thread of a load_queue, with its arena. */
struct load_thread {
	struct load_queue *q;
	struct arena arena;
	struct memo memo;
};

/* Moves the blocks of arena `from` (its strings stay where they are) to
 * `to`, which only collects them (no arena_dup() into it afterwards). */
static void arena_move(struct arena *to, struct arena *from)
{
	if (from->nblocks) {
		XGROW(to->blocks, to->alloc, to->nblocks + from->nblocks);
		memcpy(to->blocks + to->nblocks, from->blocks,
		       from->nblocks * sizeof(*from->blocks));
		to->nblocks += from->nblocks;
	}
	free(from->blocks);
	memset(from, 0, sizeof(*from));
}

/*
 * Copies into b->raw the raw value of canonical field `f` for object
 * `obj` in `row`, the first non-empty of the mapped fields, and sets
 * b->at[idx] to it (NO_VALUE: none) and *sha when it comes from a
 * sha256-typed field (a hashed email; `sha` may be NULL).  A source read
 * through a lookup is left to the worker (resolve_lookups()): from the
 * first such source on, the sources to try are copied as a chain, each
 * entry a tag ('L' and the source's index + 1, then the Id; 'V' or 'S'
 * for a plain or hashed value), the value, a NUL; an empty tag ends it.
 */
static void batch_value(const struct model *md, struct load_batch *b,
			size_t idx, size_t f, unsigned obj,
			const struct csv_row *row, unsigned char *sha)
{
	const struct match_source *src = &md->m->fields[f].src[obj];
	const struct schema *s = md->m->schemas[obj];
	int chained = 0;

	b->at[idx] = NO_VALUE;
	if (sha)
		*sha = 0;
	for (size_t k = 0; k < src->nfields; k++) {
		int col = src->index[k];
		int hashed;

		if (col < 0 || (size_t)col >= row->nfields || !row->lens[col])
			continue;
		if (src->lookup_schema && src->lookup_schema[k]) {
			if (!chained)
				b->at[idx] = b->raw.len;
			chained = 1;
			strbuf_addch(&b->raw, 'L');
			strbuf_addch(&b->raw, (char)(k + 1));
			strbuf_add(&b->raw, row->fields[col], row->lens[col]);
			strbuf_addch(&b->raw, '\0');
			continue;
		}
		hashed = s->fields[col].type == FT_SHA256;
		if (chained)
			strbuf_addch(&b->raw, hashed ? 'S' : 'V');
		else
			b->at[idx] = b->raw.len;
		if (sha && !chained)
			*sha = (unsigned char)hashed;
		strbuf_add(&b->raw, row->fields[col], row->lens[col]);
		strbuf_addch(&b->raw, '\0');
		break;
	}
	if (chained) {
		strbuf_addch(&b->raw, '\0');
		XGROW(b->pending, b->pending_alloc, b->npending + 1);
		b->pending[b->npending++] = idx;
	}
}

/* The canonical field of position `idx` of a batch's at[]. */
static size_t at_field(const struct model *md, size_t idx)
{
	size_t k = idx % (2 + md->m->nfields);

	return k == 1 ? (size_t)md->country_field : k - 2;
}

/* The lookup that chain entry `p` ('L', source, Id) of position `idx` of
 * `b` reads, or NULL, and the hash of its Id in *h. */
static const struct lookup *entry_lookup(const struct model *md,
					 const struct load_batch *b,
					 size_t idx, const char *p,
					 uint64_t *h)
{
	size_t k = (size_t)(unsigned char)p[1] - 1;
	const struct match_source *src =
		&md->m->fields[at_field(md, idx)].src[b->obj];

	*h = lookup_hash(p + 2, strlen(p + 2));
	for (size_t i = 0; i < md->nlookups; i++)
		if (md->lookups[i].schema == src->lookup_schema[k] &&
		    md->lookups[i].field == src->lookup_index[k])
			return md->lookups[i].slot ? &md->lookups[i] : NULL;
	return NULL;
}

/* Picks the value of chained position `idx` of `b` (batch_value()):
 * the first source that gives a non-empty one. */
static void resolve_chain(const struct model *md, struct load_batch *b,
			  size_t idx)
{
	size_t nat = 2 + md->m->nfields, f = at_field(md, idx);
	const char *p = b->raw.buf + b->at[idx];

	b->at[idx] = NO_VALUE;
	while (*p) {
		const char *v = p + 1;
		const struct lookup *l;
		const struct lookup_slot *sl;
		uint64_t h;
		size_t len;

		if (*p != 'L') {
			b->at[idx] = (size_t)(v - b->raw.buf);
			if (idx % nat >= 2)
				b->sha[idx / nat * md->m->nfields + f] =
					*p == 'S';
			return;
		}
		v = p + 2;
		len = strlen(v);
		l = entry_lookup(md, b, idx, p, &h);
		sl = l ? lookup_slot(l, v, len, h) : NULL;
		if (sl && sl->id && *lookup_value_of(sl->id, len)) {
			const char *found = lookup_value_of(sl->id, len);

			b->at[idx] = LOOKED_UP | b->looked.len;
			strbuf_add(&b->looked, found, strlen(found) + 1);
			return;
		}
		p = v + len + 1;
	}
}

/*
 * Resolves the lookups of batch `b` (on the worker that normalises it):
 * every record reads one (10 million profiles, each its company page),
 * and each costs two trips to memory, the slot and the Id it holds.  So
 * they go RESOLVE_GROUP at a time: the slots of the first source of
 * each are fetched, then the Ids, then each chain is walked, and the
 * trips overlap.  The same values as one lookup at a time.
 */
#define RESOLVE_GROUP 16

static void resolve_lookups(const struct model *md, struct load_batch *b)
{
	for (size_t g = 0; g < b->npending; g += RESOLVE_GROUP) {
		size_t n = b->npending - g < RESOLVE_GROUP ? b->npending - g
							   : RESOLVE_GROUP;
		const struct lookup_slot *sl[RESOLVE_GROUP];

		for (size_t j = 0; j < n; j++) {
			size_t idx = b->pending[g + j];
			uint64_t h;
			const struct lookup *l = entry_lookup(md, b, idx,
				b->raw.buf + b->at[idx], &h);

			sl[j] = l ? &l->slot[h & l->mask] : NULL;
			if (sl[j])
				__builtin_prefetch(sl[j]);
		}
		for (size_t j = 0; j < n; j++)
			if (sl[j] && sl[j]->id)
				__builtin_prefetch(sl[j]->id - 2);
		for (size_t j = 0; j < n; j++)
			resolve_chain(md, b, b->pending[g + j]);
	}
	b->npending = 0;
}

/* The raw value at position `idx` of batch `b`, or NULL. */
static const char *batch_raw(const struct load_batch *b, size_t idx)
{
	size_t at = b->at[idx];

	if (at == NO_VALUE)
		return NULL;
	return at & LOOKED_UP ? b->looked.buf + (at & ~LOOKED_UP)
			      : b->raw.buf + at;
}

/*
 * The memo's key of raw value `raw` (`len` bytes) of field `f`, its
 * length in *klen: the value, but for a domain taken from an email
 * address, whose domain is a company's while the address is one
 * person's: from its '@' on.  The domain then depends on nothing else
 * once the address is known to be valid and not at a mailbox provider,
 * which normalise_batch() makes sure of before it reads the memo.
 */
static const char *memo_key(const struct model *md, size_t f,
			    const char *raw, size_t len, size_t *klen)
{
	const char *at;

	*klen = len;
	if (md->kind[f] != PREP_DOMAIN || !(at = memchr(raw, '@', len)))
		return raw;
	*klen = len - (size_t)(at - raw);
	return at;
}

static void memo_refs(const struct model *md, const struct load_batch *b,
		      size_t i, struct memo *memo, struct memo_ent **slot,
		      uint64_t *h)
{
	size_t nf = md->m->nfields;

	for (size_t f = 0; f < nf; f++) {
		const char *raw = batch_raw(b, i * (2 + nf) + 2 + f), *key;
		size_t klen;
		int many;

		slot[f] = NULL;
		if (!raw || b->sha[i * nf + f] || !memo_field(md, f))
			continue;
		key = memo_key(md, f, raw, strlen(raw), &klen);
		if (klen > MEMO_KEY)
			continue;
		many = memo_many_field(md, f);
		slot[f] = memo_slot(memo, many, md->memo_class[f], key, klen,
				    &h[f]);
		__builtin_prefetch(slot[f]);
	}
}

/*
 * Value `s` of field `f`, copied into `arena` with its words when the
 * field is compared by token set, and followed (after its NUL) by its
 * phonetic code when a blocking key reads that (value_code()), then by
 * its hash when a key or the term frequencies read the whole value
 * (value_hash()).  At ten million profiles, coding and hashing every
 * name again for each rule, comparison and record was most of the
 * directory keys' and term frequencies' time, and the memo shares a
 * value between the rows that hold it.
 */
static const char *value_dup(const struct model *md, size_t f,
			     struct arena *arena, const char *s, size_t len)
{
	const char *v;
	char *tail;

	if (!md->phonetic[f] && !md->hashed[f])
		return md->words[f] ? arena_dup_words(arena, s, len) :
		       arena_dup(arena, s, len);
	/* room for the whole in one block, so that the tail follows */
	arena_reserve(arena, 1 + (md->words[f] ? 1 + SIM_MAX_TOKENS *
				  sizeof(struct sim_word) : 0) + len + 3 +
				  SIM_PHONETIC_LEN + 1 + sizeof(uint64_t));
	v = md->words[f] ? arena_dup_words(arena, s, len) :
	    arena_dup(arena, s, len);
	tail = arena->blocks[arena->nblocks - 1] + arena->used;
	if (md->phonetic[f]) {
		size_t n = sim_phonetic(v, len, tail) + 1;

		tail += n;
		arena->used += n;
	}
	if (md->hashed[f]) {
		uint64_t h = fnv1a(FNV_BASIS, v);

		memcpy(tail, &h, sizeof(h));
		arena->used += sizeof(h);
	}
	return v;
}

/* The phonetic code value_dup() keeps after value `v` ("": none). */
static const char *value_code(const char *v)
{
	return v + vlen(v) + 1;
}

/* fnv1a(FNV_BASIS, v) of value `v` of field `f`, kept by value_dup()
 * when the field is hashed[], else worked out (the email field, whose
 * keys and terms are its hash, rec.hash, never is). */
static uint64_t value_hash(const struct model *md, size_t f, const char *v)
{
	const char *at = v + vlen(v) + 1;
	uint64_t h;

	if (!md->hashed[f])
		return fnv1a(FNV_BASIS, v);
	if (md->phonetic[f])
		at += strlen(at) + 1;
	memcpy(&h, at, sizeof(h));
	return h;
}

/*
 * The sketch of normalised value `v` of field `f`, for pair_bound():
 * sim_sketch() of the kind its comparison needs, with SIM_SKETCH_FLAG
 * on a name of one letter (an initial: compare_level() compares first
 * names that way only by their initials).
 */
static uint32_t value_sketch(const struct model *md, size_t f, const char *v)
{
	uint32_t sk = sim_sketch(md->sketch[f], v, vlen(v));

	if ((md->kind[f] == PREP_FIRST_NAME || md->kind[f] == PREP_NAME) &&
	    vlen(v) == 1)
		sk |= SIM_SKETCH_FLAG;
	return sk;
}

/*
 * Normalises raw value `raw` (`len` bytes) of field `f` (prep_value(),
 * `country` for phones) into `arena`, using `tmp` as scratch: returns
 * the stored value and its sketch and meta byte in *sk and *meta, or
 * NULL (and zeros) when nothing is left of it.
 */
static const char *normalise_value(const struct model *md, size_t f,
				   const char *raw, size_t len,
				   const char *country, struct strbuf *tmp,
				   struct arena *arena, uint32_t *sk,
				   unsigned char *meta)
{
	int rom = prep_value(md->kind[f], raw, len, country, tmp);
	const char *v;

	*sk = 0;
	*meta = 0;
	if (!tmp->len)
		return NULL;
	v = value_dup(md, f, arena, tmp->buf, tmp->len);
	*meta = value_meta(md, f, v, rom);
	*sk = value_sketch(md, f, v);
	return v;
}

/*
 * The email's key (rec.hash) from the SHA-256 hex digest in `sb`, in
 * place: its first EMAIL_KEY_HEX digits, in lower case.  Blocking, the
 * term frequencies and the comparison of a hashed address with another
 * read only whether two keys are equal, and 64 bits tell that as well
 * as 256 (two addresses meet by chance once in 2^64 pairs); the whole
 * digest took 48 bytes more per record, 430 MB at ten million profiles.
 * A value that is not a digest (no 64 hex digits) is kept whole.
 */
#define EMAIL_KEY_HEX 16

static void email_key(struct strbuf *sb)
{
	size_t hex = 0;

	for (size_t k = 0; k < sb->len; k++) {
		char c = sb->buf[k];

		if (c >= 'A' && c <= 'F')
			c = sb->buf[k] = (char)(c + 'a' - 'A');
		hex += (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
	}
	if (sb->len == 64 && hex == 64)
		strbuf_setlen(sb, EMAIL_KEY_HEX);
}

/* Normalises batch `b` (the worker owns it meanwhile) into its place in
 * the side's array, b->r, the strings going to `arena` and the memo of
 * them to `memo` (its strings are in that arena). */
static void normalise_batch(const struct model *md, struct load_batch *b,
			    struct arena *arena, struct memo *memo)
{
	size_t nf = md->m->nfields, nat = 2 + nf;
	struct strbuf tmp = STRBUF_INIT;

	/* a row's memo slots are looked up (prefetched) a row ahead: the
	 * memo is larger than the caches */
	struct memo_ent *slots[2][NF_MAX];
	uint64_t hs[2][NF_MAX];

	resolve_lookups(md, b);
	/* b->r is zero (side_grow()): only what is there is written */
	if (b->n)
		memo_refs(md, b, 0, memo, slots[0], hs[0]);
	for (size_t i = 0; i < b->n; i++) {
		struct rec *r = &b->r[i];
		uint32_t *sk = b->sk[i].sk;
		unsigned char *meta = b->sk[i].meta;
		const char *country = batch_raw(b, i * nat + 1);
		struct memo_ent **slot = slots[i & 1];
		const uint64_t *h = hs[i & 1];
		/* the record's email address, read once for the email and
		 * the domain when both take the same one */
		struct norm_email e;
		const char *e_raw = NULL;
		int e_ok = 0;

		if (i + 1 < b->n)
			memo_refs(md, b, i + 1, memo, slots[(i + 1) & 1],
				  hs[(i + 1) & 1]);

		r->obj = b->obj;
		r->id = arena_dup(arena, batch_raw(b, i * nat),
				  strlen(batch_raw(b, i * nat)));
		for (size_t f = 0; f < nf; f++) {
			const char *raw = batch_raw(b, i * nat + 2 + f), *key;
			size_t len, klen;

			if (!raw)
				continue;
			len = strlen(raw);
			if (b->sha[i * nf + f]) {
				/* a hashed email: only the hash compares */
				strbuf_reset(&tmp);
				strbuf_add(&tmp, raw, len);
				email_key(&tmp);
				r->hash = arena_dup(arena, tmp.buf,
						    tmp.len);
				sk[SK_HASH] = sim_sketch(SIM_SKETCH_EXACT, tmp.buf,
						    tmp.len);
				continue;
			}
			if ((int)f == md->email_field) {
				prep_email_hash(raw, len, &tmp);
				email_key(&tmp);
				if (tmp.len) {
					r->hash = arena_dup(arena, tmp.buf,
							    tmp.len);
					sk[SK_HASH] = sim_sketch(SIM_SKETCH_EXACT,
							    tmp.buf, tmp.len);
				}
				/* prep_value()'s address, and value_meta()'s
				 * byte without looking the domain up again */
				e_raw = raw;
				e_ok = norm_email(raw, len, &e) == 0;
				if (md->kind[f] == PREP_EMAIL && e_ok) {
					if (e.len) {
						r->v[f] = value_dup(md, f, arena,
								    e.addr,
								    e.len);
						meta[f] = e.personal ?
							  META_PERSONAL : 0;
						sk[f] = value_sketch(md, f,
								     r->v[f]);
					}
					continue;
				}
			}
			key = slot[f] ? memo_key(md, f, raw, len, &klen) : raw;
			if (key != raw) {
				/* a work address's domain (memo_key()) */
				if (!e_raw || strcmp(e_raw, raw)) {
					e_raw = raw;
					e_ok = norm_email(raw, len, &e) == 0;
				}
				if (!e_ok || e.personal)
					continue;
			}
			if (slot[f]) {
				unsigned char cls = md->memo_class[f];
				int many = memo_many_field(md, f);
				const struct memo_ent *m;

				if (many)
					m = many_find(memo->many, slot[f], h[f],
						      cls, key, klen);
				else
					m = memo_holds(slot[f], slot[f]->hash,
						       h[f], cls, key, klen) ?
					    slot[f] : NULL;
				if (m) {
					r->v[f] = m->v;
					sk[f] = m->sk;
					meta[f] = m->meta;
					continue;
				}
				r->v[f] = normalise_value(md, f, raw, len,
							  country, &tmp, arena,
							  &sk[f], &meta[f]);
				if (many) {
					many_put(memo->many, slot[f], h[f], cls,
						 key, klen, r->v[f], sk[f],
						 meta[f]);
				} else {
					slot[f]->hash = h[f];
					memo_fill(slot[f], cls, key, klen,
						  r->v[f], sk[f], meta[f]);
				}
				continue;
			}
			r->v[f] = normalise_value(md, f, raw, len, country,
						  &tmp, arena, &sk[f], &meta[f]);
		}
	}
	strbuf_release(&tmp);
}

static void *load_worker(void *arg)
{
	struct load_thread *t = arg;
	struct load_queue *q = t->q;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct load_batch *b;

		while (q->next == q->nall && !q->closed)
			pthread_cond_wait(&q->more, &q->lock);
		if (q->next == q->nall)
			break;
		b = q->all[q->next++];
		pthread_mutex_unlock(&q->lock);
		normalise_batch(q->md, b, &t->arena, &t->memo);
		pthread_mutex_lock(&q->lock);
		b->done = 1;
		pthread_cond_broadcast(&q->done);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* Puts batch `b`, normalised, emptied, on the list `*spare`. */
static void batch_recycle(struct load_batch *b, struct load_batch **spare)
{
	b->n = 0;
	b->r = NULL;
	b->done = 0;
	b->npending = 0;
	strbuf_reset(&b->raw);
	strbuf_reset(&b->looked);
	b->next_spare = *spare;
	*spare = b;
}

/* Copies what row `row` feeds into batch `b`. */
static void batch_add(const struct model *md, struct load_batch *b,
		      unsigned obj, const char *id, const struct csv_row *row)
{
	size_t nf = md->m->nfields, nat = 2 + nf;
	size_t *at;

	at = &b->at[b->n * nat];  /* room for LOAD_BATCH rows */
	at[0] = b->raw.len;
	strbuf_add(&b->raw, id, strlen(id) + 1);
	at[1] = NO_VALUE;
	if (md->country_field >= 0)
		batch_value(md, b, b->n * nat + 1, (size_t)md->country_field,
			    obj, row, NULL);
	for (size_t f = 0; f < nf; f++)
		batch_value(md, b, b->n * nat + 2 + f, f, obj, row,
			    &b->sha[b->n * nf + f]);
	b->n++;
}

static int is_true(const struct csv_row *row, int col)
{
	return col >= 0 && strcmp(row->fields[col], "true") == 0;
}

/* Recycles the finished batches at the head of the queue (*joined is
 * the first batch not recycled), waiting, or lending the workers a hand,
 * until fewer than `ahead` batches are out. */
static void queue_join(struct load_queue *q, size_t *joined, size_t ahead)
{
	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (*joined < q->nall && q->all[*joined]->done) {
			batch_recycle(q->all[*joined], &q->spare);
			q->all[(*joined)++] = NULL;
		}
		if (q->nall - *joined < ahead || q->closed)
			break;
		if (q->next < q->nall) {
			/* the workers are behind: lend a hand */
			struct load_batch *b = q->all[q->next++];

			pthread_mutex_unlock(&q->lock);
			normalise_batch(q->md, b, &q->arena, &q->memo);
			pthread_mutex_lock(&q->lock);
			b->done = 1;
			continue;
		}
		pthread_cond_wait(&q->done, &q->lock);
	}
	pthread_mutex_unlock(&q->lock);
}

/* Hands the batch being filled to the workers (or, with none, normalises
 * it here), its records to go to the end of `side`; recycles finished
 * batches, never letting more than a few be out. */
static void queue_flush(struct load_queue *q, struct load_batch **cur,
			struct side *side, size_t *joined, int threaded)
{
	if (*cur) {
		if (side->alloc < q->queued + (*cur)->n) {
			/* the array moves: wait until no batch writes to it */
			queue_join(q, joined, 1);
			side_grow(side, q->queued + (*cur)->n);
		}
		(*cur)->r = side->r + q->queued;
		(*cur)->sk = side->sk + q->queued;
		q->queued += (*cur)->n;
		if (!threaded) {
			normalise_batch(q->md, *cur, &q->arena, &q->memo);
			(*cur)->done = 1;
		}
		pthread_mutex_lock(&q->lock);
		XGROW(q->all, q->alloc, q->nall + 1);
		q->all[q->nall++] = *cur;
		if (!threaded)
			q->next = q->nall;
		pthread_cond_signal(&q->more);
		pthread_mutex_unlock(&q->lock);
		*cur = NULL;
	}
	queue_join(q, joined, 8);
}

static size_t match_threads(void);

/* CPU time of the whole process (every thread, user and system) in
 * milliseconds, for the phase timings of -vv; 0 when unknown. */
static int64_t cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/*
 * Checks that the header of `r` (reading `path`) names the columns of
 * schema `s` in order: mirror and directory files hold the schema's
 * columns, and the job's sources index fields by schema position.
 * Fails with ERR_DATA naming the file.
 */
static int check_columns(const struct schema *s, struct csv_reader *r,
			 const char *path, struct err *err)
{
	size_t *map = xcalloc(s->nfields, sizeof(*map));
	int ret = -1;

	if (schema_bind_header(s, path, csvr_header(r)->fields,
			       csvr_header(r)->nfields, map, err) < 0)
		goto out;
	for (size_t i = 0; i < s->nfields; i++) {
		if (map[i] != i) {
			err_set(err, ERR_DATA, "'%s' line 1: columns are not in "
				"the order of schema %s/%s", path, s->group,
				s->name);
			goto out;
		}
	}
	ret = 0;
out:
	free(map);
	return ret;
}

/* Reads one input file (a mirror file or a directory file) into `side`. */
static int load_file(struct model *md, struct side *side, unsigned obj,
		     const char *path, struct stage *st, struct err *err)
{
	const struct schema *s = md->m->schemas[obj];
	struct csv_reader *r = csvr_open(path, staged_read_flags(path), err);
	const struct csv_row *row;
	char sha[SHA256_HEX_LEN + 1];
	const char *key = s->key ? s->key : "Id";
	int key_col = schema_field_index(s, key);
	int converted = schema_field_index(s, "IsConverted");
	int converted_to = schema_field_index(s, "ConvertedContactId");
	char *schema_id = xasprintf("%s/%s", s->group, s->name);
	uint64_t rows = 0;
	enum csvr_status status;
	struct load_queue q;
	struct memo_many many = { 0 };
	void *many_mem;
	unsigned long test_bits;
	unsigned bits;
	struct load_batch *cur = NULL;
	size_t nthreads = match_threads(), started = 0, joined = 0;
	pthread_t th[64];
	struct load_thread lt[64];
	struct stat sb;
	int ret = -1;

	memset(&q, 0, sizeof(q));
	memset(lt, 0, sizeof(lt));
	pthread_mutex_init(&q.lock, NULL);
	pthread_cond_init(&q.more, NULL);
	pthread_cond_init(&q.done, NULL);
	q.md = md;
	q.arena.block = ARENA_BIG_BLOCK;
	/* the shared table's slots on cache lines of their own; the tests
	 * check that a full table changes nothing with a tiny one */
	bits = memo_many_bits(stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0);
	test_bits = getenv("CRMSYNC_TEST_MEMO_BITS") ?
		    strtoul(getenv("CRMSYNC_TEST_MEMO_BITS"), NULL, 10) : 0;
	if (test_bits >= 1 && test_bits <= MEMO_MANY_MAX_BITS)
		bits = (unsigned)test_bits;
	many.mask = ((size_t)1 << bits) - 1;
	many_mem = xcalloc(many.mask + 2, sizeof(*many.e));
	many.e = (struct memo_ent *)(((uintptr_t)many_mem + 63) &
				     ~(uintptr_t)63);
	q.memo.many = &many;
	q.queued = side->n;
	if (!r)
		goto out;
	if (check_columns(s, r, path, err) < 0)
		goto out;
	/* the reading thread keeps a core; the others normalise */
	for (size_t i = 0; i + 1 < nthreads && i < 64; i++) {
		lt[i].q = &q;
		lt[i].arena.block = ARENA_BIG_BLOCK;
		lt[i].memo.many = &many;
		if (pthread_create(&th[i], NULL, load_worker, &lt[i]))
			break;
		started++;
	}
	while ((status = csvr_next(r, &row, err)) != CSVR_EOF) {
		if (status == CSVR_ERROR)
			goto out;
		rows++;
		if (status == CSVR_BADROW || key_col < 0 ||
		    !row->lens[key_col]) {
			/* counted: the extract stage rejects these earlier */
			md->skipped++;
			err_clear(err);
			continue;
		}
		/* a converted lead is matched through its contact */
		if (is_true(row, converted) && converted_to >= 0 &&
		    row->lens[converted_to]) {
			md->skipped++;
			continue;
		}
		if (!cur) {
			if (q.spare) {
				cur = q.spare;
				q.spare = cur->next_spare;
			} else {
				cur = batch_new(md->m->nfields);
			}
			cur->obj = obj;
		}
		batch_add(md, cur, obj, row->fields[key_col], row);
		if (cur->n == LOAD_BATCH)
			queue_flush(&q, &cur, side, &joined, started > 0);
	}
	queue_flush(&q, &cur, side, &joined, started > 0);
	if (st && (csvr_sha256_hex(r, sha) < 0 ||
		   stage_add_input(st, path, schema_id, rows, 0,
				   csvr_bytes_read(r), sha, err) < 0))
		goto out;
	ret = 0;
out:
	pthread_mutex_lock(&q.lock);
	q.closed = 1;
	pthread_cond_broadcast(&q.more);
	pthread_mutex_unlock(&q.lock);
	for (size_t i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		arena_move(&side->arena, &lt[i].arena);
		free(lt[i].memo.e);
	}
	free(q.memo.e);
	free(many_mem);
	/* the records, even those of a failed load, point into the arenas:
	 * the side frees them */
	arena_move(&side->arena, &q.arena);
	/* every batch handed out is normalised now, in place (those of a
	 * failed load too: the side is released with them) */
	side->n = q.queued;
	for (; joined < q.nall; joined++)
		batch_free(q.all[joined]);
	if (cur)
		batch_free(cur);
	while (q.spare) {
		struct load_batch *b = q.spare;

		q.spare = b->next_spare;
		batch_free(b);
	}
	free(q.all);
	pthread_mutex_destroy(&q.lock);
	pthread_cond_destroy(&q.more);
	pthread_cond_destroy(&q.done);
	csvr_close(r);
	free(schema_id);
	return ret;
}

/* ---- blocking ------------------------------------------------------------- */

/* Starts fetching the values of record `r` that the comparisons read
 * (and the keys and term frequencies, whose fields they compare), from
 * their length prefix, the code and hash after them mostly in the same
 * line: values are shared (the load's memo), so they lie anywhere in
 * the arenas, not next to the record. */
static void fetch_values(const struct model *md, const struct rec *r)
{
	for (size_t i = 0; i < md->m->ncomparisons; i++) {
		const char *v = r->v[md->m->comparisons[i].field_index];

		if (v)
			__builtin_prefetch(v - 2);
	}
	if (r->hash)
		__builtin_prefetch(r->hash);
}

/* The value a blocking key sees: the email hash stands for the email,
 * so clear and hashed addresses meet; transforms apply on top.  `buf`
 * holds a transformed value.  NULL when there is nothing to block on. */
static const char *key_value(const struct model *md, const struct rec *r,
			     size_t f, enum block_transform t, char *buf,
			     size_t size)
{
	const char *v = (int)f == md->email_field ? r->hash : r->v[f];
	size_t n;

	if (!v || !*v)
		return NULL;
	switch (t) {
	case BT_NONE:
		return v;
	case BT_PHONETIC:
		if (md->phonetic[f])
			return *value_code(v) ? value_code(v) : NULL;
		n = sim_phonetic(v, strlen(v), buf);
		return n ? buf : NULL;
	case BT_INITIAL:
		/* the first character, whole (UTF-8) */
		n = 1;
		while (v[n] && ((unsigned char)v[n] & 0xC0) == 0x80 &&
		       n < size - 1)
			n++;
		memcpy(buf, v, n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

/*
 * Hash of rule `rule`'s key for record `r` (the rule's number is mixed
 * in, so keys of two rules never meet), or 0 when a key is empty.  A
 * rule keyed on both names, untransformed, hashes them in byte order:
 * a record whose names were entered the wrong way round shares the
 * block.  Records are in one block when their hashes are equal: with 64
 * bits, a false meeting is a ~2^-64 event, and only costs a scored pair.
 */
static uint64_t rule_hash_as(const struct model *md, size_t rule,
			     const struct rec *r, int crossed)
{
	const struct match_blocking *b = &md->m->blocking[rule];
	uint64_t h = FNV_BASIS ^ (rule * 0x9e3779b97f4a7c15ULL);
	const char *v[MATCH_MAX_RULE_KEYS];
	uint64_t part[MATCH_MAX_RULE_KEYS];
	char buf[MATCH_MAX_RULE_KEYS][16];
	int k1 = md->swap_key[rule][0], k2 = md->swap_key[rule][1];

	for (size_t k = 0; k < b->nkeys && k < MATCH_MAX_RULE_KEYS; k++) {
		size_t f = b->keys[k];

		if (crossed && (int)f == md->field_first)
			f = (size_t)md->field_last;
		else if (crossed && (int)f == md->field_last)
			f = (size_t)md->field_first;
		v[k] = key_value(md, r, f, b->transforms[k], buf[k],
				 sizeof(buf[k]));
		if (!v[k])
			return 0;
		/* a whole value's hash is kept with it (value_hash()) */
		part[k] = b->transforms[k] == BT_NONE ? value_hash(md, f, v[k])
						      : fnv1a(FNV_BASIS, v[k]);
	}
	if (k1 >= 0 && strcmp(v[k1], v[k2]) > 0) {
		uint64_t t = part[k1];

		part[k1] = part[k2];
		part[k2] = t;
	}
	for (size_t k = 0; k < b->nkeys && k < MATCH_MAX_RULE_KEYS; k++) {
		h = (h ^ part[k]) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return h ? h : 1;
}

static uint64_t rule_hash(const struct model *md, size_t rule,
			  const struct rec *r)
{
	return rule_hash_as(md, rule, r, 0);
}

/* Which rules pair swapped names: md->swap_key[rule] = the positions of
 * the first and last name keys, or -1. */
static void find_swap_keys(struct model *md)
{
	int ff = md->cmp_first >= 0 ?
		 (int)md->m->comparisons[md->cmp_first].field_index : -1;
	int fl = md->cmp_last >= 0 ?
		 (int)md->m->comparisons[md->cmp_last].field_index : -1;

	for (size_t rule = 0; rule < md->m->nblocking && rule < MATCH_MAX_RULES;
	     rule++) {
		const struct match_blocking *b = &md->m->blocking[rule];
		int kf = -1, kl = -1;

		for (size_t k = 0; k < b->nkeys && k < MATCH_MAX_RULE_KEYS; k++) {
			if (b->transforms[k] != BT_NONE)
				continue;
			if ((int)b->keys[k] == ff)
				kf = (int)k;
			if ((int)b->keys[k] == fl)
				kl = (int)k;
		}
		md->swap_key[rule][0] = kf >= 0 && kl >= 0 ? kf : -1;
		md->swap_key[rule][1] = kf >= 0 && kl >= 0 ? kl : -1;
		/* a crossed rule on both names, one transformed: sorting
		 * cannot make the key symmetric, so the CRM record is also
		 * filed under its names crossed */
		kf = kl = 0;
		for (size_t k = 0; k < b->nkeys && k < MATCH_MAX_RULE_KEYS; k++) {
			kf |= (int)b->keys[k] == ff;
			kl |= (int)b->keys[k] == fl;
		}
		md->crossed[rule] = b->crossed && ff >= 0 && fl >= 0 && kf &&
				    kl && md->swap_key[rule][0] < 0;
		/* the values whose phonetic codes a key reads, the names
		 * crossed included */
		for (size_t k = 0; k < b->nkeys && k < MATCH_MAX_RULE_KEYS; k++) {
			int f = (int)b->keys[k];

			if (b->transforms[k] != BT_PHONETIC || f >= NF_MAX)
				continue;
			md->phonetic[f] = 1;
			if (md->crossed[rule] && (f == ff || f == fl))
				md->phonetic[f == ff ? fl : ff] = 1;
		}
		/* and those whose whole values a key hashes */
		for (size_t k = 0; k < b->nkeys && k < MATCH_MAX_RULE_KEYS; k++) {
			int f = (int)b->keys[k];

			if (b->transforms[k] != BT_NONE || f >= NF_MAX)
				continue;
			md->hashed[f] = 1;
			if (b->crossed && (f == ff || f == fl))
				md->hashed[f == ff ? fl : ff] = 1;
		}
	}
	/* and the terms of the term frequencies */
	for (size_t i = 0; i < md->m->ncomparisons; i++) {
		const struct match_comparison *c = &md->m->comparisons[i];
		size_t g = c->tf_given;

		if (!c->term_frequency)
			continue;
		if (c->field_index < NF_MAX)
			md->hashed[c->field_index] = 1;
		if (g && md->m->comparisons[g - 1].field_index < NF_MAX)
			md->hashed[md->m->comparisons[g - 1].field_index] = 1;
	}
	/* the email's key and term are its hash (r->hash), not its value:
	 * the value keeps neither a code nor a hash, and value_hash() and
	 * key_value() work them out of the hash */
	if (md->email_field >= 0 && md->email_field < NF_MAX)
		md->hashed[md->email_field] = md->phonetic[md->email_field] = 0;
	md->field_first = ff;
	md->field_last = fl;
}

/* A (key hash, CRM record) entry of the CRM side's blocks. */
struct bkey {
	uint64_t hash;
	uint32_t rule;
	uint32_t rec;
};

#define NO_BLOCK UINT32_MAX

/*
 * The blocks of the CRM side: block g holds the CRM records
 * recs[start[g] .. start[g + 1]) (ascending) of rule rule[g]; a hash
 * table finds a block from a key hash.
 */
struct blocks {
	uint64_t *slot_hash;   /* 0: empty slot */
	uint32_t *slot_block;
	size_t mask;           /* slots - 1 */
	unsigned shift;        /* 64 - log2(slots): see block_slot() */
	uint32_t *start;       /* n + 1 */
	uint32_t *rule;
	uint32_t *recs;
	size_t n;
};

/*
 * The home slot of key hash `h`: its high bits, so that the keys,
 * sorted by hash when the table is built, fill it from the first slot
 * to the last (at 1 M CRM records the table is 200 MB, and its low bits
 * had the build write all over it).
 */
static size_t block_slot(const struct blocks *bl, uint64_t h)
{
	return (size_t)(h >> bl->shift);
}

/*
 * RADIX_SORT64(NAME, T, KEY) defines `static void NAME(T *e, size_t n)`:
 * a stable sort of the n elements by the 64-bit key KEY(element), four
 * 16-bit passes, least significant first (millions of elements at 1 M
 * CRM records: no comparisons).  Aborts when out of memory (xalloc).
 */
#define RADIX_SORT64(NAME, T, KEY)                                         \
static void NAME(T *e, size_t n)                                           \
{                                                                          \
	T *tmp = xmalloc((n ? n : 1) * sizeof(*tmp));                      \
	T *from = e, *to = tmp;                                            \
	size_t *pos = xmalloc(65537 * sizeof(*pos));                       \
                                                                           \
	for (unsigned shift = 0; shift < 64; shift += 16) {               \
		memset(pos, 0, 65537 * sizeof(*pos));                      \
		for (size_t i = 0; i < n; i++)                             \
			pos[((KEY(from[i]) >> shift) & 0xffff) + 1]++;     \
		for (size_t k = 1; k <= 65536; k++)                        \
			pos[k] += pos[k - 1];                              \
		for (size_t i = 0; i < n; i++)                             \
			to[pos[(KEY(from[i]) >> shift) & 0xffff]++] =      \
				from[i];                                   \
		from = to;                                                 \
		to = from == e ? tmp : e;                                  \
	}                                                                  \
	/* four passes: the result is back in `e` */                      \
	free(pos);                                                         \
	free(tmp);                                                         \
}

/* The CRM side's keys, made in record order, by (hash, record) as the
 * stable qsort() it replaces did: stable on the hash alone keeps the
 * record order within a hash (and the order made in for a record's
 * equal hashes). */
#define BKEY_HASH(k) ((k).hash)
RADIX_SORT64(bkeys_sort, struct bkey, BKEY_HASH)

/*
 * Runs fn on each of the `n` arguments at `args` (`size` bytes apart):
 * the first on the caller's thread, the others on threads of their own,
 * and returns when all are done.  Can't fail: an argument whose thread
 * cannot start is run on the caller's thread afterwards.
 */
static void run_on_threads(void *(*fn)(void *), void *args, size_t size,
			   size_t n)
{
	pthread_t *t = xcalloc(n ? n : 1, sizeof(*t));
	char *arg = args;
	size_t started = 1;

	for (size_t i = 1; i < n; i++) {
		if (pthread_create(&t[i], NULL, fn, arg + i * size))
			break;
		started++;
	}
	if (n)
		fn(arg);
	for (size_t i = started; i < n; i++)
		fn(arg + i * size);
	for (size_t i = 1; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
}

/* One thread's share of the CRM side's keys: records [from, to). */
struct bkey_part {
	const struct model *md;
	size_t from, to;
	struct bkey *k;
	size_t n, alloc;
};

static void *bkey_part_run(void *arg)
{
	struct bkey_part *bp = arg;
	const struct model *md = bp->md;

	for (size_t i = bp->from; i < bp->to; i++) {
		for (size_t rule = 0; rule < md->m->nblocking; rule++) {
			for (int crossed = 0; crossed <= md->crossed[rule];
			     crossed++) {
				uint64_t h = rule_hash_as(md, rule,
							  &md->crm.r[i],
							  crossed);

				if (!h)
					continue;
				XGROW(bp->k, bp->alloc, bp->n + 1);
				bp->k[bp->n].hash = h;
				bp->k[bp->n].rule = (uint32_t)rule;
				bp->k[bp->n].rec = (uint32_t)i;
				bp->n++;
			}
		}
	}
	return NULL;
}

/* Frees *array and puts `with` in its place. */
static void replace_array(uint32_t **array, uint32_t *with)
{
	free(*array);
	*array = with;
}

/*
 * Numbers the blocks in the order of their first CRM record (in hash
 * order among blocks of the same first record), so that pass 2, which
 * goes through the blocks in order, reads the CRM side nearly in
 * order: nineteen blocks in twenty hold one CRM record, and in hash
 * order each of them fetched its record and values from memory again.
 * Only the numbering changes: what a block holds, and so every pair,
 * stays.  Aborts when out of memory (xalloc).
 */
static void blocks_order_by_record(struct blocks *bl, size_t ncrm)
{
	size_t n = bl->n, nk = bl->start[n];
	uint32_t *at = xcalloc(ncrm + 1, sizeof(*at));
	uint32_t *order = xmalloc((n ? n : 1) * sizeof(*order));
	uint32_t *newid = xmalloc((n ? n : 1) * sizeof(*newid));
	uint32_t *start = xmalloc((n + 1) * sizeof(*start));
	uint32_t *rule = xmalloc((n ? n : 1) * sizeof(*rule));
	uint32_t *recs = xmalloc((nk ? nk : 1) * sizeof(*recs));
	uint32_t pos = 0;

	/* a counting sort by first record, stable */
	for (size_t g = 0; g < n; g++)
		at[bl->recs[bl->start[g]] + 1]++;
	for (size_t r = 0; r < ncrm; r++)
		at[r + 1] += at[r];
	for (size_t g = 0; g < n; g++)
		order[at[bl->recs[bl->start[g]]]++] = (uint32_t)g;
	for (size_t i = 0; i < n; i++) {
		uint32_t g = order[i], len = bl->start[g + 1] - bl->start[g];

		newid[g] = (uint32_t)i;
		start[i] = pos;
		rule[i] = bl->rule[g];
		memcpy(recs + pos, bl->recs + bl->start[g],
		       len * sizeof(*recs));
		pos += len;
	}
	start[n] = pos;
	for (size_t s = 0; s <= bl->mask; s++)
		if (bl->slot_hash[s])
			bl->slot_block[s] = newid[bl->slot_block[s]];
	replace_array(&bl->start, start);
	replace_array(&bl->rule, rule);
	replace_array(&bl->recs, recs);
	free(at);
	free(order);
	free(newid);
}

/* Builds the CRM side's block table, its keys hashed on `nthreads`
 * threads (the phonetic codes are most of the cost) and joined in
 * record order, so the table does not depend on the threads. */
static void blocks_build(const struct model *md, struct blocks *bl,
			 size_t nthreads)
{
	struct bkey_part *part;
	struct bkey *k;
	size_t nk = 0, nblocks = 0, cap;

	memset(bl, 0, sizeof(*bl));
	if (nthreads > md->crm.n / 4096 + 1)
		nthreads = md->crm.n / 4096 + 1;
	part = xcalloc(nthreads, sizeof(*part));
	for (size_t t = 0; t < nthreads; t++) {
		part[t].md = md;
		part[t].from = md->crm.n * t / nthreads;
		part[t].to = md->crm.n * (t + 1) / nthreads;
	}
	run_on_threads(bkey_part_run, part, sizeof(*part), nthreads);
	for (size_t t = 0; t < nthreads; t++)
		nk += part[t].n;
	k = xmalloc((nk ? nk : 1) * sizeof(*k));
	for (size_t t = 0, at = 0; t < nthreads; t++) {
		if (part[t].n)
			memcpy(k + at, part[t].k, part[t].n * sizeof(*k));
		at += part[t].n;
		free(part[t].k);
	}
	free(part);
	bkeys_sort(k, nk);
	/* the table holds the distinct keys, at most half full */
	for (size_t i = 0; i < nk; i++)
		nblocks += !i || k[i].hash != k[i - 1].hash;
	bl->recs = xmalloc((nk ? nk : 1) * sizeof(*bl->recs));
	bl->start = xmalloc((nblocks + 1) * sizeof(*bl->start));
	bl->rule = xmalloc((nblocks ? nblocks : 1) * sizeof(*bl->rule));
	for (cap = 16, bl->shift = 60; cap < 2 * nblocks; cap *= 2)
		bl->shift--;
	bl->mask = cap - 1;
	bl->slot_hash = xcalloc(cap, sizeof(*bl->slot_hash));
	bl->slot_block = xmalloc(cap * sizeof(*bl->slot_block));
	for (size_t i = 0; i < nk; i++) {
		if (!i || k[i].hash != k[i - 1].hash) {
			size_t s;

			for (s = block_slot(bl, k[i].hash); bl->slot_hash[s];
			     s = (s + 1) & bl->mask)
				;
			bl->slot_hash[s] = k[i].hash;
			bl->slot_block[s] = (uint32_t)bl->n;
			bl->start[bl->n] = (uint32_t)i;
			bl->rule[bl->n] = k[i].rule;
			bl->n++;
		}
		bl->recs[i] = k[i].rec;
	}
	bl->start[bl->n] = (uint32_t)nk;
	free(k);
	blocks_order_by_record(bl, md->crm.n);
}

/* The block of key hash `h`, or NO_BLOCK. */
static uint32_t blocks_find(const struct blocks *bl, uint64_t h)
{
	for (size_t s = block_slot(bl, h); bl->slot_hash[s];
	     s = (s + 1) & bl->mask)
		if (bl->slot_hash[s] == h)
			return bl->slot_block[s];
	return NO_BLOCK;
}

static void blocks_release(struct blocks *bl)
{
	free(bl->slot_hash);
	free(bl->slot_block);
	free(bl->start);
	free(bl->rule);
	free(bl->recs);
	memset(bl, 0, sizeof(*bl));
}

/* blocks_start()'s thread: builds md->bl. */
static void *blocks_build_run(void *arg)
{
	struct model *md = arg;

	blocks_build(md, md->bl, match_threads());
	return NULL;
}

/*
 * Starts building the CRM side's blocks (blocks_build()) on a thread of
 * its own, once the CRM side is read: the term frequencies counted
 * meanwhile have serial steps (the CRM side's keys, its counts), and so
 * has the building (sorting the keys, filling the table), and each
 * keeps the core that the other leaves free.  Builds them here when no
 * thread can start.  Fails like xmalloc().
 */
static void blocks_start(struct model *md)
{
	md->bl = xcalloc(1, sizeof(*md->bl));
	md->bl_threaded = !pthread_create(&md->bl_thread, NULL,
					  blocks_build_run, md);
	if (!md->bl_threaded)
		blocks_build(md, md->bl, match_threads());
}

/* Moves the blocks blocks_start() built into *bl, waiting for them (the
 * caller releases them: blocks_release()); builds them there when none
 * were started.  Fails like xmalloc(). */
static void blocks_take(struct model *md, struct blocks *bl)
{
	if (!md->bl) {
		blocks_build(md, bl, match_threads());
		return;
	}
	if (md->bl_threaded)
		pthread_join(md->bl_thread, NULL);
	*bl = *md->bl;
	free(md->bl);
	md->bl = NULL;
	md->bl_threaded = 0;
}

/* ---- scoring ----------------------------------------------------------------- */

/*
 * Weight of comparison `c` for the values `x` and `y` (meta bytes `mx`
 * and `my`; and, for the email, the hashes); *sim gets the similarity,
 * or -1 when a side is missing.  With `sim` NULL the similarity is not
 * wanted, only the level, and a Jaro-Winkler that a cheap bound puts
 * under the lowest level is not worked out (the crossed reading of the
 * names, mostly: a first name against a last name).  `tf_u`, when > 0,
 * is the share of directory records holding x: when the two values are
 * equal it stands for the strictest level's u.  Values that cannot be
 * compared count as missing: text in two scripts (nothing says whether
 * '鈴木' is 'Suzuki'), a region code against a region name, and a
 * personal address (gmail.com) against another address, which says
 * nothing about whether the people are the same.  A name romanised from
 * another script compares with a Latin one, but when the romanisation
 * may be the wrong one (reliable_roman()), only agreement counts.
 */
enum { LEVEL_MISSING = -2, LEVEL_ELSE = -1 };

/* Whether a text value of meta byte `m` is Latin, or romanised from a
 * script whose romanisation writers of Latin use too (translit.h). */
static int reliable_roman(unsigned m)
{
	return !(m & META_ROMAN) || (m & META_SCRIPT) == SCRIPT_CYRILLIC ||
	       (m & META_SCRIPT) == SCRIPT_GREEK;
}

/* Whether a text value of meta byte `m` is written in Latin letters: in
 * the Latin script, or romanised from another (META_ROMAN). */
static int latin_letters(unsigned m)
{
	return (m & META_ROMAN) || (m & META_SCRIPT) == SCRIPT_LATIN;
}

/*
 * How two text values of meta bytes mx and my compare across scripts:
 * as any two values (the same script); not at all, missing (not both
 * in Latin letters); or by agreement only, differing counting as
 * missing: a name romanised by rule against its Latin spelling agrees
 * as evidence, and differs as evidence too when the romanisation is
 * the one in use (Cyrillic, Greek), not when it may be the wrong one
 * ('佐藤' read the Chinese way, '김' as 'gim', not 'kim': translit.h).
 * compare_level() and comparison_bound() both follow it.
 */
enum script_rule { SCRIPTS_COMPARE, SCRIPTS_MISSING, SCRIPTS_AGREE_ONLY };

static enum script_rule script_rule(unsigned mx, unsigned my)
{
	if ((mx & META_SCRIPT) == (my & META_SCRIPT))
		return SCRIPTS_COMPARE;
	if (!latin_letters(mx) || !latin_letters(my))
		return SCRIPTS_MISSING;
	if (!reliable_roman(mx) || !reliable_roman(my))
		return SCRIPTS_AGREE_ONLY;
	return SCRIPTS_COMPARE;
}

static int compare_level(const struct model *md,
			 const struct match_comparison *c, const char *x,
			 const char *y, unsigned mx, unsigned my,
			 const char *xh, const char *yh, double *sim)
{
	size_t f = c->field_index;
	int else_level = LEVEL_ELSE;
	double s;

	if (sim)
		*sim = -1;
	if (x && y) {
		switch (md->kind[f]) {
		case PREP_FIRST_NAME:
			/* a first name given as its initial ('J', 'J.'):
			 * only the initials compare, and an equal one
			 * says about as little as no name */
			if (vlen(x) == 1 || vlen(y) == 1)
				return x[0] == y[0] ? LEVEL_MISSING :
				       LEVEL_ELSE;
			/* fall through */
		case PREP_NAME:
		case PREP_TEXT:
		case PREP_CITY:
			switch (script_rule(mx, my)) {
			case SCRIPTS_MISSING:
				return LEVEL_MISSING;
			case SCRIPTS_AGREE_ONLY:
				else_level = LEVEL_MISSING;
				break;
			case SCRIPTS_COMPARE:
				break;
			}
			break;
		case PREP_REGION:
			if ((mx & META_CODE) != (my & META_CODE))
				return LEVEL_MISSING;
			break;
		case PREP_EMAIL:
			if (((mx | my) & META_PERSONAL) && !vequal(x, y))
				return LEVEL_MISSING;
			break;
		default:
			break;
		}
	}
	if ((int)f == md->email_field && (!x || !y)) {
		/* hashes only compare equal or not */
		if (!xh || !yh)
			return LEVEL_MISSING;
		s = vequal(xh, yh);
	} else {
		if (!x || !y)
			return LEVEL_MISSING;
		if (!sim && c->method == MM_JARO_WINKLER && c->nlevels &&
		    sim_jaro_winkler_bound(x, vlen(x), y, vlen(y)) <
		    c->levels[c->nlevels - 1].min - 1e-9)
			return else_level;
		if (md->words[f]) {
			const struct sim_word *wx, *wy;
			size_t nx = vwords(x, &wx), ny = vwords(y, &wy);

			s = sim_token_set_words(x, vlen(x), wx, nx,
						y, vlen(y), wy, ny);
		} else {
			s = prep_compare(c->method, x, vlen(x), y, vlen(y),
					 c->method == MM_LEVENSHTEIN &&
					 c->nlevels ? c->levels[c->nlevels -
					 1].max_distance : 0);
		}
	}
	if (sim)
		*sim = s;
	for (size_t l = 0; l < c->nlevels; l++) {
		const struct match_level *lv = &c->levels[l];

		if (c->method == MM_LEVENSHTEIN ? s <= (double)lv->max_distance
						: s >= lv->min)
			return (int)l;
	}
	return else_level;
}

static double compare_values(const struct model *md,
			     const struct match_comparison *c, const char *x,
			     const char *y, unsigned mx, unsigned my,
			     const char *xh, const char *yh, double tf_w,
			     double *sim, int *level)
{
	int l = compare_level(md, c, x, y, mx, my, xh, yh, sim);
	const struct match_level *lv;

	*level = l;
	if (l == LEVEL_MISSING)
		return c->missing_weight;
	if (l == LEVEL_ELSE)
		return c->else_weight;
	lv = &c->levels[l];
	if (l == 0 && !isnan(tf_w) &&
	    ((int)c->field_index == md->email_field ?
	     (xh && yh && vequal(xh, yh)) : (x && y && vequal(x, y))))
		return tf_w;
	return lv->weight;
}

/* Comparison `i`'s term-frequency weight for CRM record `a` (tf_w, or
 * with `given`, tf_gw), or NAN. */
static double tf_weight(const struct model *md, size_t i,
			const struct rec *a, int given)
{
	const double *w = given ? md->tf_gw : md->tf_w;

	if (md->tf_slot[i] < 0 || !w)
		return NAN;
	return w[(size_t)(a - md->crm.r) * md->ntf + (size_t)md->tf_slot[i]];
}

/* The term-frequency u of comparison `i` for CRM record `a`, or 0. */
static double tf_u(const struct model *md, size_t i, const struct rec *a)
{
	int slot = md->tf_slot[i];
	size_t c = (size_t)(a - md->crm.r);
	uint64_t total, n;

	if (slot < 0 || !md->tf_count)
		return 0;
	total = md->tf_total[slot];
	n = md->tf_count[c * md->ntf + (size_t)slot];
	if (!total)
		return 0;
	/* a value the directory holds once is as rare as it gets */
	return (double)(n ? n : 1) / (double)total;
}

static const char *term_of(const struct model *md, size_t i,
			   const struct rec *r);

/*
 * The u of comparison `i` for CRM record `a` when the values of `i` and
 * of its term_frequency_given comparison are both equal: among the
 * directory records holding a's value of the given comparison, the
 * share that also hold its value of `i`, smoothed towards the value's
 * share among all records (the u of independence) with TF_GIVEN_WEIGHT
 * pseudo-records: a first name the directory holds a few times says
 * little about its surnames, and without that a 300-profile directory
 * rated a unique 'Nordström' 3 bits instead of 8.  The compared record
 * counts (under the non-match hypothesis it is a namesake like any
 * other); leaving it out made a namesake alone in the directory look
 * like a match, and precision at 100 k x 1 M fell from 0.986 to 0.971.
 * 0 when not counted.
 */
#define TF_GIVEN_WEIGHT 100.0

static double tf_given_u(const struct model *md, size_t i,
			 const struct rec *a)
{
	int slot = md->tf_slot[i];
	double joint, given, u;
	size_t at;

	if (slot < 0 || !md->tf_joint || !(u = tf_u(md, i, a)))
		return 0;
	at = (size_t)(a - md->crm.r) * md->ntf + (size_t)slot;
	joint = md->tf_joint[at] ? md->tf_joint[at] : 1;
	given = md->tf_given[at] > joint ? md->tf_given[at] : joint;
	return (joint + TF_GIVEN_WEIGHT * u) / (given + TF_GIVEN_WEIGHT);
}

/* The largest weight comparison `i` gives without term frequencies
 * (the crossed reading of the names). */
static double bound_plain(const struct match_comparison *c)
{
	double b = c->missing_weight > c->else_weight ? c->missing_weight
						      : c->else_weight;

	for (size_t k = 0; k < c->nlevels; k++)
		if (c->levels[k].weight > b)
			b = c->levels[k].weight;
	return b;
}

/*
 * The early exit (pair_weights_cut()): a pair can be dropped when its
 * score lies below both the threshold and the third score of its CRM
 * record's top candidates, so that it could neither be kept nor enter
 * the top (which the rivals and the audit file use).  Only the crossed
 * reading of the names is ever spared: counted at 100 k x 1 M, no other
 * comparison could be left out, since each can still add enough to
 * reach the cut (an agreeing email alone adds 23 bits) until all are
 * known.  So the exit waits for the straight reading and skips the
 * crossed one when even its best (cross_max) leaves the pair below the
 * cut.  BOUND_SLACK covers the rounding of adding the same numbers in
 * another order.
 */
#define BOUND_SLACK 1e-6

/*
 * Every comparison's weight (and similarity) for the pair of CRM record
 * `a` and directory record `b`; returns the match weight, the model's
 * prior plus the weights (rivals come later, in resolve()).  Two
 * comparisons depend on others: one implied_by another that agrees
 * counts as missing, and one with term_frequency_given takes the u of
 * its value among the records sharing the given one when both agree.
 * First and last names are also tried crossed, and the crossed reading
 * is kept when it scores better: directories and CRMs both hold people
 * whose names were entered the wrong way round.  *swapped tells which
 * reading won.
 *
 * pair_weights_cut() adds the early exit: when the pair's score cannot
 * reach `cut` (-INFINITY: every pair is scored), sets *skipped and
 * returns -INFINITY with w, sim and lvl those of the straight reading.
 * A pair not skipped gets the same bytes as from pair_weights().  With
 * `sim` NULL the similarities are not wanted (compare_level()), which
 * spares most of the crossed reading's work.  `b_meta`, when not NULL,
 * is a copy of b's meta bytes (pass 2's layout), read instead of b's.
 */
static double pair_weights_cut(const struct model *md, const struct rec *a,
			       const struct rec *b, const unsigned char *b_meta,
			       double *w, double *sim, int *lvl, int *swapped,
			       double cut, int *skipped)
{
	const struct match_model *m = md->m;
	const unsigned char *ma = meta_of(&md->crm, a);
	const unsigned char *mb = b_meta ? b_meta : meta_of(&md->dir, b);
	double total = 0, sims[NF_MAX];
	int quick = !sim;

	if (quick)
		sim = sims;
	*swapped = 0;
	*skipped = 0;
	for (size_t i = 0; i < m->ncomparisons; i++) {
		size_t f = m->comparisons[i].field_index;

		w[i] = compare_values(md, &m->comparisons[i], a->v[f], b->v[f],
				      ma[f], mb[f], a->hash, b->hash,
				      tf_weight(md, i, a, 0), &sim[i], &lvl[i]);
	}
	for (size_t i = 0; i < m->ncomparisons; i++)
		total += w[i];
	for (size_t i = 0; md->has_implied && i < m->ncomparisons; i++) {
		const struct match_comparison *c = &m->comparisons[i];

		if (!c->implied_by || lvl[c->implied_by - 1] != 0 ||
		    lvl[i] == LEVEL_MISSING)
			continue;
		total += c->missing_weight - w[i];
		w[i] = c->missing_weight;
		lvl[i] = LEVEL_MISSING;
	}
	for (size_t i = 0; md->tf_joint && i < m->ncomparisons; i++) {
		const struct match_comparison *c = &m->comparisons[i];
		size_t g = c->tf_given - 1;
		double gw;

		if (!c->tf_given || lvl[i] != 0 || lvl[g] != 0 ||
		    !vequal_opt(term_of(md, i, a), term_of(md, i, b)) ||
		    !vequal_opt(term_of(md, g, a), term_of(md, g, b)) ||
		    isnan(gw = tf_weight(md, i, a, 1)))
			continue;
		total -= w[i];
		w[i] = gw;
		total += w[i];
	}
	/* the crossed reading, unless the straight one already scores
	 * what the crossed one can at best, or even that best leaves the
	 * pair below the cut */
	if (md->cmp_first >= 0 && md->cmp_last >= 0 &&
	    !(w[md->cmp_first] + w[md->cmp_last] >= md->cross_max)) {
		const struct match_comparison *cf = &m->comparisons[md->cmp_first];
		const struct match_comparison *cl = &m->comparisons[md->cmp_last];
		double before = w[md->cmp_first] + w[md->cmp_last];
		double sf = -1, sl = -1, wf, wl;
		int lf, ll;
		size_t ff = cf->field_index, fl = cl->field_index;

		if (total - before + md->cross_max + md->prior <
		    cut - BOUND_SLACK) {
			*skipped = 1;
			return -INFINITY;
		}
		wf = compare_values(md, cf, a->v[ff], b->v[fl], ma[ff],
				    mb[fl], NULL, NULL, NAN,
				    quick ? NULL : &sf, &lf);
		wl = compare_values(md, cl, a->v[fl], b->v[ff], ma[fl],
				    mb[ff], NULL, NULL, NAN,
				    quick ? NULL : &sl, &ll);

		if (wf + wl > before) {
			total += wf + wl - before;
			w[md->cmp_first] = wf;
			w[md->cmp_last] = wl;
			sim[md->cmp_first] = sf;
			sim[md->cmp_last] = sl;
			lvl[md->cmp_first] = lf;
			lvl[md->cmp_last] = ll;
			*swapped = 1;
		}
	}
	return total + md->prior;
}

static double pair_weights(const struct model *md, const struct rec *a,
			   const struct rec *b, double *w, double *sim,
			   int *lvl, int *swapped)
{
	int skipped;

	return pair_weights_cut(md, a, b, NULL, w, sim, lvl, swapped,
				-INFINITY, &skipped);
}

static double score_pair(const struct model *md, const struct rec *a,
			 const struct rec *b)
{
	double w[NF_MAX], sim[NF_MAX];
	int lvl[NF_MAX], swapped;

	return pair_weights(md, a, b, w, sim, lvl, &swapped);
}

/*
 * The bound: an upper bound of a pair's score from the sketches of the
 * two records (struct sketches) alone.  At 1 M x 10 M there are 200
 * million pairs, nearly all a CRM record against a namesake it shares
 * nothing else with, and scoring one is mostly waiting for the
 * directory record and its strings to come from wherever the load put
 * them.  A pair whose bound lies below its cut (cut_of(): the floor,
 * the threshold, its record's third candidate) can be neither kept nor
 * listed, so it is counted and never read.  The bound follows
 * pair_weights_cut() step by step: each comparison may reach the levels
 * its similarity bound allows, under compare_level()'s rules read from
 * the meta bytes, with the CRM record's term-frequency weights at the
 * first level; one implied by another is bounded with it; the names
 * may be crossed.  Exact: the tests compare every output with and
 * without it (CRMSYNC_TEST_NO_BOUND).
 */
enum { REACH_MISSING = 1, REACH_ELSE = 2, REACH_PLAIN = 4 };

/* The most a comparison can weigh at its first level (-INFINITY when
 * out of reach), and at any other outcome. */
struct reach {
	double first, other;
};

/*
 * The most comparison `i`'s first level weighs for CRM record `c`: the
 * record's term-frequency weight given its value, or given the value of
 * another comparison too (term_frequency_given), else the level's own
 * weight, which a level that only equal values reach (exact, or Jaro-
 * Winkler at 1: identical strings) never gives when there is a
 * term-frequency weight.
 */
static double first_level_max(const struct model *md, size_t i, size_t c)
{
	double w = md->m->comparisons[i].levels[0].weight, tw, gw;
	size_t at = c * md->ntf + (size_t)md->tf_slot[i];

	if (md->tf_slot[i] < 0)
		return w;
	tw = md->tf_w ? md->tf_w[at] : NAN;
	gw = md->tf_gw ? md->tf_gw[at] : NAN;
	if (!isnan(tw) && (md->equal_only[i] || tw > w))
		w = tw;
	if (!isnan(gw) && gw > w)
		w = gw;
	return w;
}

/* What comparison `i` can weigh for CRM record `c` when it may be
 * missing or at its else (`reach`) or at any level whose minimum
 * similarity is at most `s_ub` (none when s_ub < 0), into *r, its first
 * level by term frequency unless REACH_PLAIN (the names crossed);
 * returns the larger of the two. */
static double reach_weight(const struct model *md, size_t i, uint32_t c,
			   unsigned reach, double s_ub, struct reach *r)
{
	const struct match_comparison *cmp = &md->m->comparisons[i];
	size_t l = 0;

	r->first = r->other = -INFINITY;
	if (reach & REACH_MISSING)
		r->other = cmp->missing_weight;
	if ((reach & REACH_ELSE) && cmp->else_weight > r->other)
		r->other = cmp->else_weight;
	if (s_ub >= 0) {
		while (cmp->method != MM_LEVENSHTEIN && l < cmp->nlevels &&
		       cmp->levels[l].min > s_ub + 1e-9)
			l++;
		if (l == 0 && cmp->nlevels) {
			r->first = reach & REACH_PLAIN ? cmp->levels[0].weight :
				   first_level_max(md, i, c);
			l = 1;
		}
		if (md->lv_max[md->lv_at[i] + l] > r->other)
			r->other = md->lv_max[md->lv_at[i] + l];
	}
	return r->first > r->other ? r->first : r->other;
}

/*
 * The most comparison `i` can weigh for CRM record `c` whose value of
 * field fx (sketches x) meets the directory value of field fy (sketches
 * y): fx and fy are the comparison's field but for the names crossed.
 * compare_level()'s rules, on what the sketches and meta bytes tell.
 */
static double comparison_bound(const struct model *md, size_t i, uint32_t c,
			       const struct sketches *x, size_t fx,
			       const struct sketches *y, size_t fy,
			       unsigned plain, struct reach *r)
{
	size_t f = md->m->comparisons[i].field_index;
	uint32_t a = x->sk[fx], b = y->sk[fy];
	unsigned ma = x->meta[fx], mb = y->meta[fy];
	unsigned reach = plain | REACH_ELSE, missing = plain | REACH_MISSING;

	if ((int)f == md->email_field && (!a || !b)) {
		uint32_t ha = x->sk[SK_HASH], hb = y->sk[SK_HASH];

		if (!ha || !hb)
			return reach_weight(md, i, c, missing, -1, r);
		return reach_weight(md, i, c, reach, ha == hb ? 1.0 : 0.0, r);
	}
	if (!a || !b)
		return reach_weight(md, i, c, missing, -1, r);
	switch (md->kind[f]) {
	case PREP_FIRST_NAME:
		if ((a | b) & SIM_SKETCH_FLAG)
			return reach_weight(md, i, c, reach | missing, -1,
					    r);
		/* fall through */
	case PREP_NAME:
	case PREP_TEXT:
	case PREP_CITY:
		switch (script_rule(ma, mb)) {
		case SCRIPTS_MISSING:
			return reach_weight(md, i, c, missing, -1, r);
		case SCRIPTS_AGREE_ONLY:
			reach = missing;
			break;
		case SCRIPTS_COMPARE:
			break;
		}
		break;
	case PREP_REGION:
		if ((ma & META_CODE) != (mb & META_CODE))
			return reach_weight(md, i, c, missing, -1, r);
		break;
	case PREP_EMAIL:
		/* a personal address counts only when equal */
		if ((ma | mb) & META_PERSONAL)
			return reach_weight(md, i, c, missing,
					    sim_sketch_bound(md->sketch[f], a,
							     b) >= 1.0 ? 1.0 :
					    -1.0, r);
		break;
	default:
		break;
	}
	return reach_weight(md, i, c, reach,
			    sim_sketch_bound(md->sketch[f], a, b), r);
}

#define NAMES_STEP (-1)

/* The most the names crossed (first against last) can weigh for CRM
 * record `c` against sketches y: no more than cross_max, which it is
 * when the two names are sketched for different kinds of comparison. */
static double crossed_bound(const struct model *md, uint32_t c,
			    const struct sketches *x, const struct sketches *y)
{
	const struct match_model *m = md->m;
	size_t ff = m->comparisons[md->cmp_first].field_index;
	size_t fl = m->comparisons[md->cmp_last].field_index;
	struct reach unused;
	double b;

	if (md->sketch[ff] != md->sketch[fl])
		return md->cross_max;
	b = comparison_bound(md, (size_t)md->cmp_first, c, x, ff, y, fl,
			     REACH_PLAIN, &unused) +
	    comparison_bound(md, (size_t)md->cmp_last, c, x, fl, y, ff,
			     REACH_PLAIN, &unused);
	return b < md->cross_max ? b : md->cross_max;
}

/*
 * An upper bound of the score of CRM record `c` and the directory record
 * whose sketches are `y` (pair_weights_cut() gives no more), and as
 * tight as it needs: below `cut` exactly when the tightest bound the
 * sketches allow is (give or take rounding: BOUND_SLACK).  Once the
 * steps bounded so far and the most the others can add (rest[]) fall
 * below `cut`, it returns that sum.  A comparison and those it implies
 * are bounded together at the end: at its first level they count as
 * missing, at any other outcome as themselves (a city that may be
 * equal, by its sketch, and a country that is: the city's weight and a
 * missing country, or a disagreeing city and the country's).
 *
 * The names count straight or crossed, whichever weighs more.  The
 * crossed reading costs two more comparisons and most pairs need it not
 * (half of those reaching the names at 100 k x 1 M): it stands in at
 * its most (cross_max) until the end, and is bounded only when the pair
 * is below the cut without it and above with its most.
 */
static double pair_bound(const struct model *md, uint32_t c,
			 const struct sketches *y, double cut)
{
	const struct match_model *m = md->m;
	const struct sketches *x = &md->crm.sk[c];
	const double *rest = &md->rest[(size_t)c * (md->nsteps + 1)];
	double total = md->prior, added[NF_MAX], straight = 0;
	double implied_own[NF_MAX], implied_missing[NF_MAX];
	double implied_added[NF_MAX];
	/* what the names crossed may add to the straight reading */
	double cross = 0;
	struct reach r[NF_MAX];

	/* (not "= { 0 }": rep stos on three arrays was a third of the
	 * bound's time) */
	for (size_t k = 0; k < md->nimplying; k++) {
		size_t j = md->implying[k];

		implied_own[j] = implied_missing[j] = implied_added[j] = 0;
	}

	for (size_t k = 0; k < md->nsteps; k++) {
		int i = md->step[k];
		const struct match_comparison *cmp;
		double w;

		if (total + cross + rest[k] < cut)
			return total + cross + rest[k];
		if (i == NAMES_STEP) {
			size_t ff = m->comparisons[md->cmp_first].field_index;
			size_t fl = m->comparisons[md->cmp_last].field_index;

			straight = comparison_bound(md, (size_t)md->cmp_first,
						    c, x, ff, y, ff, 0,
						    &r[md->cmp_first]) +
				   comparison_bound(md, (size_t)md->cmp_last,
						    c, x, fl, y, fl, 0,
						    &r[md->cmp_last]);
			total += straight;
			if (straight < md->cross_max)
				cross = md->cross_max - straight;
			continue;
		}
		cmp = &m->comparisons[i];
		w = comparison_bound(md, (size_t)i, c, x, cmp->field_index, y,
				     cmp->field_index, 0, &r[i]);
		added[i] = w;
		if (cmp->implied_by) {
			/* the comparison implying it is bounded before it */
			size_t j = cmp->implied_by - 1;
			double own = w;

			if (r[j].first > -INFINITY && cmp->missing_weight > w)
				w = cmp->missing_weight;
			if (md->implies[j]) {
				implied_own[j] += own;
				implied_missing[j] += cmp->missing_weight;
				implied_added[j] += w;
			}
		}
		total += w;
	}
	for (size_t k = 0; k < md->nimplying; k++) {
		size_t j = md->implying[k];
		double at_first, otherwise;

		at_first = r[j].first + implied_missing[j];
		otherwise = r[j].other + implied_own[j];
		total += (at_first > otherwise ? at_first : otherwise) -
			 (added[j] + implied_added[j]);
	}
	if (cross > 0 && total < cut && total + cross >= cut) {
		double b = crossed_bound(md, c, x, y);

		cross = b > straight ? b - straight : 0;
	}
	return total + cross;
}

/*
 * pair_bound() flattened: its helpers, sim_sketch_bound() from sim.c
 * included, are inlined into it whatever the compiler would have chosen
 * (the pairs phase of 100 k x 1 M went from 2.3 s to 1.9 s,
 * tests/bench/README.md).  On x86-64 a second copy is built for
 * processors with POPCNT (every one since 2008), taken when the machine
 * has it (pair_bound_of()): GCC makes the sketches' bit counts one
 * instruction there, and the bound takes 6 to 9% less time.
 */
typedef double pair_bound_fn(const struct model *md, uint32_t c,
			     const struct sketches *y, double cut);

__attribute__((flatten))
static double pair_bound_generic(const struct model *md, uint32_t c,
				 const struct sketches *y, double cut)
{
	return pair_bound(md, c, y, cut);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PAIR_BOUND_POPCNT 1
__attribute__((flatten, target("popcnt")))
static double pair_bound_popcnt(const struct model *md, uint32_t c,
				const struct sketches *y, double cut)
{
	return pair_bound(md, c, y, cut);
}
#endif

/* The copy of pair_bound() for this machine; CRMSYNC_TEST_GENERIC_BOUND
 * set takes the generic one, which the tests compare. */
static pair_bound_fn *pair_bound_of(void)
{
#ifdef PAIR_BOUND_POPCNT
	const char *generic = getenv("CRMSYNC_TEST_GENERIC_BOUND");

	if (!(generic && *generic) && __builtin_cpu_supports("popcnt"))
		return pair_bound_popcnt;
#endif
	return pair_bound_generic;
}

/* The most comparison `i` can weigh for CRM record `c`. */
static double weight_max(const struct model *md, size_t i, size_t c)
{
	const struct match_comparison *cmp = &md->m->comparisons[i];
	double best = cmp->missing_weight > cmp->else_weight ?
		      cmp->missing_weight : cmp->else_weight;

	if (cmp->nlevels) {
		double first = first_level_max(md, i, c);

		if (md->lv_max[md->lv_at[i] + 1] > best)
			best = md->lv_max[md->lv_at[i] + 1];
		if (first > best)
			best = first;
	}
	return best;
}

/*
 * pair_bound()'s tables: each comparison's best weight from each level
 * on, and the order of the steps: the comparisons that can weigh most
 * first (the email, the companies), so that a pair that agrees on none
 * of them is ruled out after a few, each after those it is implied by,
 * the names together last (first when something is implied by them).
 * Aborts when out of memory (xalloc).
 */
static void bound_tables(struct model *md)
{
	const struct match_model *m = md->m;
	size_t n = m->ncomparisons, nlv = 0, k = 0;
	double wmax[NF_MAX];
	unsigned char placed[NF_MAX] = { 0 };
	int names = md->cmp_first >= 0 && md->cmp_last >= 0, names_first = 0;

	for (size_t i = 0; i < n; i++)
		nlv += m->comparisons[i].nlevels + 1;
	md->lv_max = xmalloc((nlv ? nlv : 1) * sizeof(*md->lv_max));
	nlv = 0;
	for (size_t i = 0; i < n; i++) {
		const struct match_comparison *cmp = &m->comparisons[i];

		md->lv_at[i] = nlv;
		md->equal_only[i] = cmp->nlevels &&
				    (cmp->method == MM_EXACT ||
				     (cmp->method == MM_JARO_WINKLER &&
				      cmp->levels[0].min >= 1.0));
		/* bounded together: a comparison implied by none but a
		 * name (the names are bounded as a pair) */
		if (cmp->implied_by &&
		    !m->comparisons[cmp->implied_by - 1].implied_by &&
		    (int)cmp->implied_by - 1 != md->cmp_first &&
		    (int)cmp->implied_by - 1 != md->cmp_last)
			md->implies[cmp->implied_by - 1] = 1;
		md->lv_max[nlv + cmp->nlevels] = -INFINITY;
		for (size_t l = cmp->nlevels; l-- > 0;)
			md->lv_max[nlv + l] =
				cmp->levels[l].weight > md->lv_max[nlv + l + 1] ?
				cmp->levels[l].weight : md->lv_max[nlv + l + 1];
		nlv += cmp->nlevels + 1;
		/* the order: what the rarest values can weigh */
		wmax[i] = bound_plain(cmp);
		for (size_t c = 0; c < md->crm.n; c++) {
			double w = weight_max(md, i, c);

			wmax[i] = w > wmax[i] ? w : wmax[i];
		}
		if (names && cmp->implied_by &&
		    ((int)cmp->implied_by - 1 == md->cmp_first ||
		     (int)cmp->implied_by - 1 == md->cmp_last))
			names_first = 1;
	}
	for (size_t i = 0; i < n; i++)
		if (md->implies[i])
			md->implying[md->nimplying++] = i;
	if (names) {
		placed[md->cmp_first] = placed[md->cmp_last] = 1;
		if (names_first)
			md->step[k++] = NAMES_STEP;
	}
	for (;;) {
		int best = -1;

		for (size_t i = 0; i < n; i++) {
			size_t by = m->comparisons[i].implied_by;

			if (placed[i] || (by && !placed[by - 1]))
				continue;
			if (best < 0 || wmax[i] > wmax[best])
				best = (int)i;
		}
		if (best < 0)
			break;
		placed[best] = 1;
		md->step[k++] = best;
	}
	if (names && !names_first)
		md->step[k++] = NAMES_STEP;
	md->nsteps = k;
	md->rest = xmalloc((md->crm.n + 1) * (k + 1) * sizeof(*md->rest));
	for (size_t c = 0; c < md->crm.n; c++) {
		double *rest = &md->rest[c * (k + 1)];

		rest[k] = 0;
		for (size_t j = k; j-- > 0;) {
			int i = md->step[j];
			double w;

			if (i != NAMES_STEP) {
				w = weight_max(md, (size_t)i, c);
			} else {
				w = weight_max(md, (size_t)md->cmp_first, c) +
				    weight_max(md, (size_t)md->cmp_last, c);
				w = w > md->cross_max ? w : md->cross_max;
			}
			rest[j] = rest[j + 1] + w;
		}
	}
}

/* The sketch each field needs (model.sketch). */
static void find_sketches(struct model *md)
{
	const struct match_model *m = md->m;
	unsigned char set[NF_MAX] = { 0 };

	for (size_t i = 0; i < m->ncomparisons; i++) {
		size_t f = m->comparisons[i].field_index;
		enum sim_sketch_kind k = SIM_SKETCH_NONE;

		if (f >= NF_MAX)
			continue;
		switch (m->comparisons[i].method) {
		case MM_EXACT:
			k = SIM_SKETCH_EXACT;
			break;
		case MM_JARO_WINKLER:
			k = SIM_SKETCH_JARO_WINKLER;
			break;
		case MM_TOKEN_SET:
			k = SIM_SKETCH_TOKEN_SET;
			break;
		case MM_EMAIL:
			k = SIM_SKETCH_EMAIL;
			break;
		case MM_PHONE:
			k = SIM_SKETCH_PHONE;
			break;
		case MM_LEVENSHTEIN:
		case MM_PHONETIC:
			break;
		}
		md->sketch[f] = set[f] && md->sketch[f] != k ? SIM_SKETCH_NONE
							     : k;
		set[f] = 1;
	}
}

/*
 * printf's "%.3f" of `x`, appended to `out`: the same bytes, without
 * printf's exact decimal expansion (the candidates file formats tens of
 * millions of these).  x * 1000 rounded to the nearest integer is
 * printf's answer except when the product lies within its own rounding
 * error of a half, or x is large or not finite: those few go through
 * printf.  A negative x keeps its sign even when it rounds to zero
 * ("-0.000"), as printf does.  Can't fail.
 */
static void add_fixed3(struct strbuf *out, double x)
{
	char buf[32], *p = buf + sizeof(buf);
	double y = fabs(x) * 1000.0, whole = floor(y), frac = y - whole;
	uint64_t n;

	if (!(fabs(x) < 1e6) || fabs(frac - 0.5) < 1e-6) {
		strbuf_addf(out, "%.3f", x);
		return;
	}
	n = (uint64_t)whole + (frac > 0.5);
	for (int k = 0; k < 4 || n; k++) {
		if (k == 3)
			*--p = '.';
		*--p = (char)('0' + n % 10);
		n /= 10;
	}
	if (signbit(x))
		*--p = '-';
	strbuf_add(out, p, (size_t)(buf + sizeof(buf) - p));
}

/* "email=13.136;last_name=8.732;prior=-16.610" or, with sims,
 * "email=1.000:13.136;...": the weights, the prior and, when `rivals` is
 * not NULL, the weight of the record's other candidates
 * (rivals_weight()) add up to the score; "names=swapped" ends it when
 * the names were read crossed. */
static void describe_weights(const struct model *md, const double *w,
			     const double *sim, int swapped, int sims,
			     const double *rivals, struct strbuf *out);

static void describe_pair(const struct model *md, const struct rec *a,
			  const struct rec *b, int sims, const double *rivals,
			  struct strbuf *out)
{
	double w[NF_MAX], sim[NF_MAX];
	int lvl[NF_MAX], swapped;

	pair_weights(md, a, b, w, sim, lvl, &swapped);
	describe_weights(md, w, sim, swapped, sims, rivals, out);
}

/* describe_pair() of the weights w[], sim[] and `swapped` that
 * pair_weights() gave.  Can't fail. */
static void describe_weights(const struct model *md, const double *w,
			     const double *sim, int swapped, int sims,
			     const double *rivals, struct strbuf *out)
{
	strbuf_reset(out);
	for (size_t i = 0; i < md->m->ncomparisons; i++) {
		const struct match_comparison *c = &md->m->comparisons[i];

		if (i)
			strbuf_addch(out, ';');
		strbuf_addstr(out, c->field);
		strbuf_addch(out, '=');
		if (sims && sim[i] < 0) {
			strbuf_addstr(out, "missing:");
		} else if (sims) {
			add_fixed3(out, sim[i]);
			strbuf_addch(out, ':');
		}
		add_fixed3(out, w[i]);
	}
	strbuf_addstr(out, ";prior=");
	add_fixed3(out, md->prior);
	if (rivals) {
		strbuf_addstr(out, ";rivals=");
		add_fixed3(out, *rivals);
	}
	if (swapped)
		strbuf_addstr(out, ";names=swapped");
}

/* ---- candidate pairs -------------------------------------------------------- */

struct edge {
	uint32_t crm, dir;
	double score;
};

struct top {
	uint32_t dir[TOP_K];
	double score[TOP_K];
	unsigned n;
};

/* Keeps the K best (score desc, dir asc) candidates of a CRM record. */
static void top_add(struct top *t, uint32_t dir, double score)
{
	unsigned i = t->n < TOP_K ? t->n : TOP_K;

	if (t->n == TOP_K && (score < t->score[TOP_K - 1] ||
			      (score == t->score[TOP_K - 1] &&
			       dir > t->dir[TOP_K - 1])))
		return;
	if (t->n < TOP_K)
		t->n++;
	else
		i = TOP_K - 1;
	while (i > 0 && (t->score[i - 1] < score ||
			 (t->score[i - 1] == score && t->dir[i - 1] > dir))) {
		t->score[i] = t->score[i - 1];
		t->dir[i] = t->dir[i - 1];
		i--;
	}
	t->score[i] = score;
	t->dir[i] = dir;
}

/*
 * The weight of a CRM record's other candidates, for its pair with
 * directory record `dir`: a record is one person (or company), so the
 * odds that it is dir's are the pair's odds against every other
 * candidate's, o_dir / (1 + sum of o_k for k != dir) with o = 2^score
 * (the posterior when the record matches one candidate at most).  In
 * log2 that adds -log2(1 + sum).  Two namesakes that the evidence
 * cannot tell apart each fall to even odds or below, and a record whose
 * best candidate went to its CRM duplicate does not fall back on a weak
 * one.  Only the top TOP_K candidates count: the rest weigh less than
 * each of them.  Returns 0 when the model is not exclusive or the
 * record has no other candidate.
 */
static double rivals_weight(const struct model *md, const struct top *t,
			    uint32_t dir)
{
	double hi = 0, sum, w;
	unsigned n = 0;

	if (!md->m->exclusive)
		return 0;
	for (unsigned k = 0; k < t->n; k++) {
		if (t->dir[k] == dir)
			continue;
		if (!n++ || t->score[k] > hi)
			hi = t->score[k];
	}
	if (!n)
		return 0;
	hi = hi > 0 ? hi : 0;   /* the 1 of 1 + sum is 2^0 */
	sum = exp2(-hi);
	for (unsigned k = 0; k < t->n; k++)
		if (t->dir[k] != dir)
			sum += exp2(t->score[k] - hi);
	w = -(hi + log2(sum));
	return w <= -0.0005 ? w : 0;   /* never "-0.000" in the outputs */
}

/* Whether the CRM record of `t` has a candidate other than `dir`. */
static int has_rivals(const struct model *md, const struct top *t,
		      uint32_t dir)
{
	return md->m->exclusive && (t->n > 1 || (t->n == 1 && t->dir[0] != dir));
}

/* What blocking did for one rule. */
struct rule_stats {
	uint64_t blocks;         /* CRM-side blocks */
	uint64_t pairs;          /* pairs scored, first found by this rule */
	uint64_t capped_blocks;  /* blocks over max_block_pairs, skipped */
	uint64_t capped_pairs;   /* the pairs those blocks held */
};

/* How many pairs showed each comparison pattern (for `crmsync train`): a
 * pattern packs each comparison's level code in 4 bits (level_code()). */
struct patterns {
	uint64_t *key;           /* 0: empty slot (a pattern is never 0) */
	uint64_t *count;
	size_t cap, n;
};

struct pairs {
	struct edge *e;          /* pairs >= threshold */
	size_t n, alloc;
	struct top *top;         /* per CRM record */
	uint64_t scored;
	uint64_t bounded;        /* of those, ruled out by pair_bound() */
	struct rule_stats rules[MATCH_MAX_RULES];
	struct patterns *patterns; /* NULL, or where to count patterns:
				    * one table per blocking rule, the rule
				    * that found the pair first */
};

/* 0 missing, 1 else, 2 + l for level l. */
static unsigned level_code(int level)
{
	return level == LEVEL_MISSING ? 0 : level == LEVEL_ELSE ? 1 :
	       2 + (unsigned)level;
}

/* The pattern of levels `lvl`; the top bit keeps it non-zero. */
static uint64_t pattern_of(const struct model *md, const int *lvl)
{
	uint64_t key = 1ULL << 63;

	for (size_t i = 0; i < md->m->ncomparisons; i++)
		key |= (uint64_t)level_code(lvl[i]) << (4 * i);
	return key;
}

static void patterns_add(struct patterns *pt, uint64_t key, uint64_t n)
{
	size_t s;

	if (2 * (pt->n + 1) > pt->cap) {
		struct patterns old = *pt;

		pt->cap = old.cap ? 2 * old.cap : 1024;
		pt->key = xcalloc(pt->cap, sizeof(*pt->key));
		pt->count = xcalloc(pt->cap, sizeof(*pt->count));
		pt->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.key[i])
				patterns_add(pt, old.key[i], old.count[i]);
		free(old.key);
		free(old.count);
	}
	for (s = (key * 0x9e3779b97f4a7c15ULL) >> 20 & (pt->cap - 1);
	     pt->key[s] && pt->key[s] != key; s = (s + 1) & (pt->cap - 1))
		;
	if (!pt->key[s]) {
		pt->key[s] = key;
		pt->n++;
	}
	pt->count[s] += n;
}

static void patterns_release(struct patterns *pt)
{
	free(pt->key);
	free(pt->count);
	memset(pt, 0, sizeof(*pt));
}

/*
 * The work a pass has not handed out yet: threads take PAIR_CHUNK
 * directory records (passes 0 and 1) or BLOCK_CHUNK blocks (pass 2) at
 * a time, so a thread that the machine slows down (or that meets big
 * blocks) does less, and none waits for the other.  What a thread
 * keeps never depends on which work it took (see find_pairs()).
 */
#define PAIR_CHUNK 4096
#define BLOCK_CHUNK 256

struct pair_queue {
	_Atomic size_t next;     /* first position not handed out */
	size_t n;                /* positions in all */
	size_t chunk;            /* positions handed out at a time */
};

/* A directory record in pass 2's block lists: its index, and where its
 * copies lie in the layout. */
struct dir_entry {
	uint32_t d, at;
};

/*
 * The directory side as pass 2 reads it (dir_layout_build()).  Each
 * record's sketches and uncapped blocks are copied to position `at`, and
 * the positions follow the lists of one rule, the one with the most
 * entries, so that walking that rule's blocks reads them in order; the
 * other rules' lists read them in ascending order.  The capped blocks
 * are left out, so the pairs loop need not look them up.  At 10 M
 * records the sketches are 640 MB: read where the records happen to
 * lie, each entry cost a trip to memory that fetching ahead did not
 * hide.  The copies cost 1 GB and about 2 s at 1 M x 10 M.
 */
struct dir_layout {
	uint32_t *start;         /* block g's entries: e[start[g] ..
				  * start[g + 1]) */
	struct dir_entry *e;
	struct sketches *sk;     /* sk[at]: a copy of the record's */
	uint32_t *blocks;        /* [at * nrules + rule]: its block of the
				  * rule, NO_BLOCK when none or capped */
	size_t n;                /* records in a list */
	size_t lead;             /* the rule that orders the positions */
};

/* One thread's share of find_pairs(): positions [from, to) (directory
 * records, or blocks in pass 2), then whatever it takes from `queue`
 * (NULL: that first share is all). */
struct pair_worker {
	const struct model *md;
	const struct blocks *bl;
	uint32_t *dir_block;     /* passes 0 and 1: [d * nrules + rule]:
				  * block or NO_BLOCK */
	const unsigned char *capped;
	size_t from, to;
	struct pair_queue *queue;
	int pass;                /* 0: find blocks and count; 1: score by
				  * directory record (training); 2: score
				  * block by block */
	uint32_t *hits;          /* pass 0: directory records per block */
	struct pairs out;        /* passes 1 and 2 */
	uint32_t *stamp;         /* pass 1: CRM record -> last d + 1 */
	struct patterns *patterns; /* pass 1, when training: per rule */
	int training;
	pair_bound_fn *bound;    /* pair_bound_of(); NULL: rule no pairs
				  * out (CRMSYNC_TEST_NO_BOUND) */
	const struct dir_layout *lay; /* pass 2 */
	const uint32_t *crm_block; /* pass 2: [(c * nrules + rule) * 2]:
				    * CRM record c's blocks of each rule
				    * (the second for crossed names) */
};

/* The score a pair of CRM record `t`'s must reach to be kept or to
 * enter its top (this thread's top: the merged one's third score is no
 * lower): the floor while the top is not full. */
static double cut_of(const struct model *md, const struct top *t)
{
	double cut;

	if (t->n < TOP_K)
		return md->floor;
	cut = t->score[TOP_K - 1] < md->m->threshold ? t->score[TOP_K - 1]
						      : md->m->threshold;
	return cut > md->floor ? cut : md->floor;
}

/* Moves worker `w` on to the next chunk of its queue: sets *i and w->to
 * and returns 1, or returns 0 when nothing is left. */
static int pair_next_chunk(struct pair_worker *w, size_t *i)
{
	size_t at, n;

	if (!w->queue)
		return 0;
	n = w->queue->chunk;
	at = atomic_fetch_add_explicit(&w->queue->next, n,
				       memory_order_relaxed);
	if (at >= w->queue->n)
		return 0;
	*i = at;
	w->to = at + n < w->queue->n ? at + n : w->queue->n;
	return 1;
}

/*
 * Pass 0 for directory records [from, to): the block of each rule's key
 * (dir_block) and the count of records per block (hits).  With a
 * million CRM records the hash table of blocks is hundreds of MB, and
 * nearly every lookup, and every count, is a trip to memory: the keys
 * of FIND_GROUP records are hashed first and their slots prefetched, the
 * lookups then prefetch their counts, so the trips overlap instead of
 * following one another; the next group's values are fetched meanwhile
 * (3.5 -> 3.0 s at 1 M x 10 M).  The same results as one lookup at a
 * time.
 */
#define FIND_GROUP 16

static void find_blocks(struct pair_worker *w, size_t from, size_t to)
{
	const struct model *md = w->md;
	const struct blocks *bl = w->bl;
	size_t nrules = md->m->nblocking;
	uint64_t h[FIND_GROUP * MATCH_MAX_RULES];

	for (size_t d0 = from; d0 < to; d0 += FIND_GROUP) {
		size_t n = to - d0 < FIND_GROUP ? to - d0 : FIND_GROUP;
		uint32_t *db = &w->dir_block[d0 * nrules];

		/* the next group's values, whose codes and hashes the keys
		 * read (they lie anywhere in the arenas) */
		for (size_t d = d0 + FIND_GROUP; d < to &&
		     d < d0 + 2 * FIND_GROUP; d++)
			fetch_values(md, &md->dir.r[d]);

		for (size_t k = 0; k < n * nrules; k++) {
			h[k] = rule_hash(md, k % nrules,
					 &md->dir.r[d0 + k / nrules]);
			if (h[k]) {
				size_t s = block_slot(bl, h[k]);

				__builtin_prefetch(&bl->slot_hash[s]);
				__builtin_prefetch(&bl->slot_block[s]);
			}
		}
		for (size_t k = 0; k < n * nrules; k++) {
			db[k] = h[k] ? blocks_find(bl, h[k]) : NO_BLOCK;
			if (db[k] != NO_BLOCK)
				__builtin_prefetch(&w->hits[db[k]], 1);
		}
		for (size_t k = 0; k < n * nrules; k++)
			if (db[k] != NO_BLOCK)
				w->hits[db[k]]++;
	}
}

/*
 * Scores the pair of CRM record `c` and directory record `d` (whose
 * sketches are `y`: in pass 2, the layout's copy), found first by rule
 * `rule`: counts it, keeps it in c's top when it reaches the floor and,
 * when it reaches the threshold, among the edges.  A pair that its bound
 * (pair_bound()) or the early exit finds can reach neither is only
 * counted (training scores all).
 */
static void score_candidate(struct pair_worker *w, uint32_t c, uint32_t d,
			    const struct sketches *y, size_t rule)
{
	const struct model *md = w->md;
	const struct rec *a = &md->crm.r[c], *b = &md->dir.r[d];
	double score, wt[NF_MAX], cut = -INFINITY;
	int lvl[NF_MAX], swapped, skipped;

	w->out.scored++;
	w->out.rules[rule].pairs++;
	if (!w->training) {
		cut = cut_of(md, &w->out.top[c]);
		if (w->bound && w->bound(md, c, y, cut - BOUND_SLACK) <
				cut - BOUND_SLACK) {
			w->out.bounded++;
			return;
		}
		/* its values, all at once: the scoring below reads them
		 * one after the other (score_blocks() does not fetch them
		 * ahead) */
		fetch_values(md, b);
	}
	score = pair_weights_cut(md, a, b, y->meta, wt, NULL, lvl, &swapped,
				 cut, &skipped);
	if (w->training)
		patterns_add(&w->patterns[rule], pattern_of(md, lvl), 1);
	if (skipped || score < md->floor)
		return;
	top_add(&w->out.top[c], d, score);
	if (score < md->m->threshold)
		return;
	XGROW(w->out.e, w->out.alloc, w->out.n + 1);
	w->out.e[w->out.n].crm = c;
	w->out.e[w->out.n].dir = d;
	w->out.e[w->out.n].score = score;
	w->out.n++;
}

/* Pass 1 for directory record `d`: its pairs, rule by rule, each pair
 * under the first rule that finds it. */
static void score_record(struct pair_worker *w, uint32_t d)
{
	const struct blocks *bl = w->bl;
	size_t nrules = w->md->m->nblocking;
	const uint32_t *db = &w->dir_block[(size_t)d * nrules];

	for (size_t rule = 0; rule < nrules; rule++) {
		uint32_t g = db[rule];

		if (g == NO_BLOCK || w->capped[g])
			continue;
		for (uint32_t i = bl->start[g]; i < bl->start[g + 1]; i++) {
			uint32_t c = bl->recs[i];

			if (w->stamp[c] == d + 1)
				continue;
			w->stamp[c] = d + 1;
			score_candidate(w, c, d, &w->md->dir.sk[d],
					bl->rule[g]);
		}
	}
}

/*
 * Pass 2 for blocks [from, to): every pair of a block's CRM and
 * directory records but those an earlier rule finds (a block of theirs
 * holds both), so that each pair is scored once, under the first rule
 * that finds it, as in pass 1.  Block by block, the few records of a
 * block are scored against each other while they are in the cache;
 * directory record by directory record (pass 1), nearly every pair
 * fetched its CRM record from memory at a million CRM records.  The
 * blocks' directory entries follow one another in the layout (struct
 * dir_layout), so their records, sketches and blocks are fetched a few
 * ahead, across blocks (most blocks are small).  Not their values: only
 * the pairs the bound lets through read them (one in ten), and
 * fetching the values of every record ahead, a dozen lines each, took
 * the memory's bandwidth from the lines the bound waits for (the pairs
 * phase at 1 M x 10 M: 31.5-34.7 s with, 27.1-28.0 s without).
 */
#define FETCH_AHEAD 16

/* Starts fetching the whole of record `r`: the comparisons read its
 * values' pointers, meta bytes and hash, over several cache lines. */
static void fetch_rec(const struct rec *r)
{
	const char *p = (const char *)r;

	for (size_t at = 0; at < sizeof(*r); at += 64)
		__builtin_prefetch(p + at);
	__builtin_prefetch(p + sizeof(*r) - 1);
}

/* Starts fetching the sketches of record `i` of side `s`. */
static void fetch_sketches(const struct side *s, uint32_t i)
{
	__builtin_prefetch(&s->sk[i]);
}

/* Starts fetching what scoring a pair reads of CRM record `c` but its
 * strings: its record, blocks, top and term-frequency weights. */
static void fetch_crm(const struct pair_worker *w, uint32_t c)
{
	const struct model *md = w->md;
	size_t nrules = md->m->nblocking;

	fetch_rec(&md->crm.r[c]);
	fetch_sketches(&md->crm, c);
	__builtin_prefetch(&w->crm_block[(size_t)c * nrules * 2]);
	__builtin_prefetch(&w->out.top[c]);
	if (md->tf_w)
		__builtin_prefetch(&md->tf_w[(size_t)c * md->ntf]);
	if (md->tf_gw)
		__builtin_prefetch(&md->tf_gw[(size_t)c * md->ntf]);
}

static void score_blocks(struct pair_worker *w, size_t from, size_t to)
{
	const struct model *md = w->md;
	const struct blocks *bl = w->bl;
	size_t nrules = md->m->nblocking;
	const struct dir_layout *lay = w->lay;
	uint32_t end = lay->start[to];

	for (size_t g = from; g < to; g++) {
		size_t rule = bl->rule[g];
		uint32_t c0 = bl->start[g], c1 = bl->start[g + 1];

		/* and the first CRM records of the blocks to come: what
		 * each one's pairs read of it (fetch_crm()) two blocks
		 * ahead, its values one block ahead */
		if (g + 2 < to && lay->start[g + 2] < lay->start[g + 3])
			for (uint32_t i = bl->start[g + 2];
			     i < bl->start[g + 3] && i < bl->start[g + 2] + 4;
			     i++)
				fetch_crm(w, bl->recs[i]);
		if (g + 1 < to && lay->start[g + 1] < lay->start[g + 2])
			for (uint32_t i = bl->start[g + 1];
			     i < bl->start[g + 2] && i < bl->start[g + 1] + 4;
			     i++)
				fetch_values(md, &md->crm.r[bl->recs[i]]);

		for (uint32_t j = lay->start[g]; j < lay->start[g + 1]; j++) {
			uint32_t d = lay->e[j].d, at = lay->e[j].at;
			const uint32_t *db = &lay->blocks[(size_t)at * nrules];
			uint32_t earlier[MATCH_MAX_RULES];
			size_t er[MATCH_MAX_RULES], ne = 0;

			if (j + FETCH_AHEAD < end) {
				const struct dir_entry *ahead =
					&lay->e[j + FETCH_AHEAD];

				__builtin_prefetch(&md->dir.r[ahead->d]);
				__builtin_prefetch(&lay->sk[ahead->at]);
				__builtin_prefetch(&lay->blocks[(size_t)ahead->at *
								nrules]);
			}
			for (size_t r = 0; r < rule; r++)
				if (db[r] != NO_BLOCK) {
					earlier[ne] = db[r];
					er[ne++] = r;
				}
			for (uint32_t i = c0; i < c1; i++) {
				uint32_t c = bl->recs[i];
				const uint32_t *cb = &w->crm_block[(size_t)c *
								   nrules * 2];
				size_t k;

				/* filed twice: names that read the same
				 * crossed */
				if (i > c0 && c == bl->recs[i - 1])
					continue;
				for (k = 0; k < ne; k++)
					if (cb[er[k] * 2] == earlier[k] ||
					    cb[er[k] * 2 + 1] == earlier[k])
						break;
				if (k == ne)
					score_candidate(w, c, d, &lay->sk[at],
							rule);
			}
		}
	}
}

static void *pair_worker_run(void *arg)
{
	struct pair_worker *w = arg;

	for (size_t at = w->from; at < w->to || pair_next_chunk(w, &at);
	     at = w->to) {
		switch (w->pass) {
		case 0:
			find_blocks(w, at, w->to);
			break;
		case 1:
			for (size_t d = at; d < w->to; d++)
				score_record(w, (uint32_t)d);
			break;
		default:
			score_blocks(w, at, w->to);
			break;
		}
	}
	return NULL;
}

/* Runs pass `pass` of the workers, on threads when there are several. */
static void run_workers(struct pair_worker *w, size_t nw, int pass)
{
	for (size_t i = 0; i < nw; i++)
		w[i].pass = pass;
	run_on_threads(pair_worker_run, w, sizeof(*w), nw);
}

/* Threads for the match stage: CRMSYNC_THREADS, else the online CPUs. */
static size_t match_threads(void)
{
	const char *env = getenv("CRMSYNC_THREADS");
	long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (size_t)n;
}

/* Block `g` as pass 2 sees it: NO_BLOCK when none or capped. */
static uint32_t live_block(uint32_t g, const unsigned char *capped)
{
	return g != NO_BLOCK && !capped[g] ? g : NO_BLOCK;
}

/* A record's position in the layout when it is in no list. */
#define NO_POSITION UINT32_MAX

/* A thread's share of dir_layout_build()'s copies: records [from, to). */
struct layout_part {
	const struct model *md;
	struct dir_layout *lay;
	const uint32_t *dir_block, *at_of;
	const unsigned char *capped;
	size_t from, to;
};

/* Copies the sketches and uncapped blocks of the records of a part
 * that are in a list to their positions.  The records are read in
 * order and written all over the layout; a sketch fills its line, so it
 * is stored past the cache where the machine can, which spares reading
 * the line first. */
static void *layout_copy(void *arg)
{
	const struct layout_part *p = arg;
	const struct model *md = p->md;
	struct dir_layout *lay = p->lay;
	size_t nrules = md->m->nblocking;

	for (size_t d = p->from; d < p->to; d++) {
		size_t at = p->at_of[d];

		if (at == NO_POSITION)
			continue;

#ifdef __SSE2__
		const __m128i *from = (const __m128i *)&md->dir.sk[d];
		__m128i *to = (__m128i *)&lay->sk[at];

		for (size_t k = 0; k < sizeof(*lay->sk) / sizeof(*to); k++)
			_mm_stream_si128(&to[k], _mm_load_si128(&from[k]));
#else
		lay->sk[at] = md->dir.sk[d];
#endif
		for (size_t r = 0; r < nrules; r++) {
			lay->blocks[at * nrules + r] =
				live_block(p->dir_block[d * nrules + r],
					   p->capped);
		}
	}
#ifdef __SSE2__
	_mm_sfence();
#endif
	return NULL;
}

/*
 * Lays out the directory side for pass 2 (struct dir_layout) from the
 * blocks that pass 0 found (dir_block) and counted (hits), leaving out
 * the capped ones, copying on `nw` threads.  Each block's entries are
 * in ascending position.  Release with dir_layout_release().  Aborts
 * when out of memory (xalloc).
 */
static void dir_layout_build(const struct model *md, const struct blocks *bl,
			     const uint32_t *dir_block,
			     const unsigned char *capped, const uint64_t *hits,
			     size_t nw, struct dir_layout *lay)
{
	size_t nrules = md->m->nblocking, n = md->dir.n, total = 0;
	uint64_t entries[MATCH_MAX_RULES] = { 0 };
	uint32_t *next = xmalloc((bl->n + 1) * sizeof(*next));
	uint32_t *at_of = xmalloc((n ? n : 1) * sizeof(*at_of));
	uint32_t *record_at, rest;

	memset(lay, 0, sizeof(*lay));
	for (size_t g = 0; g < bl->n; g++)
		if (!capped[g])
			entries[bl->rule[g]] += hits[g];
	for (size_t r = 1; r < nrules; r++)
		if (entries[r] > entries[lay->lead])
			lay->lead = r;

	/* positions: the lead rule's blocks in order, then the records in
	 * none of them but in another's, in ascending record order within
	 * each; a record in no list has none (NO_POSITION) */
	for (size_t g = 0; g < bl->n; g++) {
		next[g] = (uint32_t)total;
		if (bl->rule[g] == lay->lead && !capped[g])
			total += hits[g];
	}
	rest = (uint32_t)total;
	for (size_t d = 0; d < n; d++) {
		const uint32_t *db = &dir_block[d * nrules];
		uint32_t lead = live_block(db[lay->lead], capped);
		size_t r = 0;

		if (lead != NO_BLOCK) {
			at_of[d] = next[lead]++;
			continue;
		}
		while (r < nrules && live_block(db[r], capped) == NO_BLOCK)
			r++;
		at_of[d] = r < nrules ? rest++ : NO_POSITION;
	}
	lay->n = rest;
	log_debug("match %s: %zu of %zu directory records in a block list, "
		  "laid out by blocking rule %zu (%llu entries)", md->label,
		  lay->n, n, lay->lead + 1,
		  (unsigned long long)entries[lay->lead]);
	record_at = xmalloc((lay->n ? lay->n : 1) * sizeof(*record_at));
	for (size_t d = 0; d < n; d++)
		if (at_of[d] != NO_POSITION)
			record_at[at_of[d]] = (uint32_t)d;

	/* the copies, on every thread */
	lay->sk = mapping_grow(NULL, 0, (lay->n ? lay->n : 1) *
			       sizeof(*lay->sk));
	lay->blocks = xmalloc((lay->n * nrules + 1) * sizeof(*lay->blocks));
	{
		struct layout_part *part = xcalloc(nw, sizeof(*part));

		for (size_t i = 0; i < nw; i++) {
			part[i].md = md;
			part[i].lay = lay;
			part[i].dir_block = dir_block;
			part[i].capped = capped;
			part[i].at_of = at_of;
			part[i].from = n * i / nw;
			part[i].to = n * (i + 1) / nw;
		}
		run_on_threads(layout_copy, part, sizeof(*part), nw);
		free(part);
	}
	free(at_of);

	/* the lists */
	lay->start = xmalloc((bl->n + 1) * sizeof(*lay->start));
	total = 0;
	for (size_t g = 0; g < bl->n; g++) {
		lay->start[g] = next[g] = (uint32_t)total;
		total += capped[g] ? 0 : hits[g];
	}
	lay->start[bl->n] = (uint32_t)total;
	lay->e = xmalloc((total ? total : 1) * sizeof(*lay->e));
	for (size_t at = 0; at < lay->n; at++)
		for (size_t r = 0; r < nrules; r++) {
			uint32_t g = lay->blocks[at * nrules + r];

			if (g != NO_BLOCK) {
				lay->e[next[g]].d = record_at[at];
				lay->e[next[g]++].at = (uint32_t)at;
			}
		}
	free(record_at);
	free(next);
}

/* Frees what dir_layout_build() allocated; `lay` is left empty. */
static void dir_layout_release(struct dir_layout *lay)
{
	if (lay->sk)
		(void)munmap(lay->sk, (lay->n ? lay->n : 1) * sizeof(*lay->sk));
	free(lay->blocks);
	free(lay->start);
	free(lay->e);
	memset(lay, 0, sizeof(*lay));
}

/*
 * Each CRM record's blocks, for pass 2: [(c * nrules + rule) * 2] and
 * the next entry hold the blocks of record c for rule `rule` (the
 * second when the rule also files it under its names crossed), or
 * NO_BLOCK.  The caller frees the array.  Aborts when out of memory.
 */
static uint32_t *crm_blocks(const struct model *md, const struct blocks *bl)
{
	size_t nrules = md->m->nblocking, n = md->crm.n * nrules * 2;
	uint32_t *cb = xmalloc((n ? n : 1) * sizeof(*cb));

	for (size_t i = 0; i < n; i++)
		cb[i] = NO_BLOCK;
	for (size_t g = 0; g < bl->n; g++)
		for (uint32_t i = bl->start[g]; i < bl->start[g + 1]; i++) {
			uint32_t *at = &cb[((size_t)bl->recs[i] * nrules +
					    bl->rule[g]) * 2];

			if (at[0] == NO_BLOCK)
				at[0] = (uint32_t)g;
			else if (at[0] != g)
				at[1] = (uint32_t)g;
		}
	return cb;
}

/* The edges by (directory record, CRM record): the order does not
 * depend on which thread scored what. */
#define EDGE_KEY(x) ((uint64_t)(x).dir << 32 | (x).crm)
RADIX_SORT64(edges_sort, struct edge, EDGE_KEY)

/*
 * Scores every candidate pair.  Pass 0 finds each directory record's
 * block of each rule and counts the records per block; a block holding
 * more than max_block_pairs pairs is skipped (and counted): a key that
 * common ('john' + 's') pairs everyone with everyone, and the other
 * rules still pair the records that agree on something rarer.  Then
 * threads score chunks of blocks (pass 2; training, which counts level
 * patterns per rule, goes by directory record in pass 1), each with its
 * own edges and top candidates, merged afterwards.  What is kept does
 * not depend on the split or the order: the edges are sorted by
 * (directory record, CRM record), and top_add() orders by (score,
 * directory record).
 */
static void find_pairs(struct model *md, struct pairs *p)
{
	size_t nrules = md->m->nblocking, nw = match_threads();
	struct patterns *patterns = p->patterns;
	struct blocks bl;
	struct pair_worker *w;
	struct pair_queue queue;
	unsigned char *capped;
	uint32_t *dir_block, *cblock = NULL;
	struct dir_layout lay = { 0 };
	uint64_t *hits;
	int64_t t[5];

	t[0] = clock_real_ms();
	memset(p, 0, sizeof(*p));
	p->patterns = patterns;
	p->top = xcalloc(md->crm.n + 1, sizeof(*p->top));
	blocks_take(md, &bl);
	t[1] = clock_real_ms();
	if (nw > md->dir.n / 1024 + 1)
		nw = md->dir.n / 1024 + 1;
	w = xcalloc(nw, sizeof(*w));
	dir_block = xmalloc((md->dir.n * nrules + 1) * sizeof(*dir_block));
	capped = xcalloc(bl.n + 1, 1);
	hits = xcalloc(bl.n + 1, sizeof(*hits));
	for (size_t i = 0; i < nw; i++) {
		w[i].md = md;
		w[i].bl = &bl;
		w[i].dir_block = dir_block;
		w[i].capped = capped;
		w[i].queue = &queue;
		w[i].hits = xcalloc(bl.n + 1, sizeof(*w[i].hits));
		w[i].training = patterns != NULL;
		/* the tests compare the outputs with and without the bound:
		 * it must never rule out a pair that counts */
		w[i].bound = getenv("CRMSYNC_TEST_NO_BOUND") ? NULL :
			     pair_bound_of();
		if (patterns)
			w[i].patterns = xcalloc(nrules, sizeof(struct patterns));
	}
	/* pass 0 in directory order, chunk by chunk */
	atomic_init(&queue.next, 0);
	queue.n = md->dir.n;
	queue.chunk = PAIR_CHUNK;
	run_workers(w, nw, 0);
	t[2] = clock_real_ms();
	for (size_t g = 0; g < bl.n; g++) {
		uint64_t crm = bl.start[g + 1] - bl.start[g];
		struct rule_stats *rs = &p->rules[bl.rule[g]];

		for (size_t i = 0; i < nw; i++)
			hits[g] += w[i].hits[g];
		rs->blocks++;
		if (md->m->max_block_pairs &&
		    crm * hits[g] > md->m->max_block_pairs) {
			capped[g] = 1;
			rs->capped_blocks++;
			rs->capped_pairs += crm * hits[g];
		}
	}
	for (size_t i = 0; i < nw; i++) {
		free(w[i].hits);
		w[i].hits = NULL;
		w[i].out.top = i ? xcalloc(md->crm.n + 1, sizeof(struct top))
				 : p->top;
	}
	/* the tests check pass 2 and its layout against pass 1, which
	 * finds the same pairs record by record */
	if (patterns || getenv("CRMSYNC_TEST_BY_RECORD")) {
		/* pass 1: training keeps the static split in directory
		 * order, so that each thread's pattern tables fill as they
		 * always did */
		for (size_t i = 0; i < nw; i++) {
			w[i].from = md->dir.n * i / nw;
			w[i].to = md->dir.n * (i + 1) / nw;
			w[i].queue = NULL;
			w[i].stamp = xcalloc(md->crm.n + 1,
					     sizeof(*w[i].stamp));
		}
		run_workers(w, nw, 1);
	} else {
		/* pass 2, block by block */
		dir_layout_build(md, &bl, dir_block, capped, hits, nw, &lay);
		free(dir_block);
		dir_block = NULL;
		cblock = crm_blocks(md, &bl);
		t[3] = clock_real_ms();
		atomic_init(&queue.next, 0);
		queue.n = bl.n;
		queue.chunk = BLOCK_CHUNK;
		for (size_t i = 0; i < nw; i++) {
			w[i].from = w[i].to = 0;
			w[i].dir_block = NULL;
			w[i].lay = &lay;
			w[i].crm_block = cblock;
		}
		run_workers(w, nw, 2);
		t[4] = clock_real_ms();
		log_debug("match %s: CRM blocks waited for %lld ms, directory keys "
			  "in %lld ms, block lists in %lld ms, pairs in %lld "
			  "ms", md->label, (long long)(t[1] - t[0]),
			  (long long)(t[2] - t[1]), (long long)(t[3] - t[2]),
			  (long long)(t[4] - t[3]));
	}
	for (size_t i = 0; i < nw; i++) {
		struct pairs *o = &w[i].out;

		if (o->n) {
			XGROW(p->e, p->alloc, p->n + o->n);
			memcpy(p->e + p->n, o->e, o->n * sizeof(*o->e));
			p->n += o->n;
		}
		p->scored += o->scored;
		p->bounded += o->bounded;
		for (size_t r = 0; r < nrules; r++)
			p->rules[r].pairs += o->rules[r].pairs;
		for (size_t r = 0; patterns && r < nrules; r++) {
			struct patterns *wp = &w[i].patterns[r];

			for (size_t k = 0; k < wp->cap; k++)
				if (wp->key[k])
					patterns_add(&patterns[r], wp->key[k],
						     wp->count[k]);
			patterns_release(wp);
		}
		free(w[i].patterns);
		if (i) {
			for (size_t c = 0; c < md->crm.n; c++)
				for (unsigned k = 0; k < o->top[c].n; k++)
					top_add(&p->top[c], o->top[c].dir[k],
						o->top[c].score[k]);
			free(o->top);
		}
		free(o->e);
		free(w[i].stamp);
	}
	edges_sort(p->e, p->n);
	free(w);
	free(dir_block);
	dir_layout_release(&lay);
	free(cblock);
	free(hits);
	free(capped);
	blocks_release(&bl);
}

/* ---- manual corrections (R22) ------------------------------------------------ */

struct correction {
	char *id, *action, *object, *crm_id, *target, *created, *seat;
	int64_t at;
	char *source;      /* file it came from, for rejects */
	uint64_t line;
	size_t seq;        /* read order */
};

struct corrections {
	struct correction *c;
	size_t n, alloc;
};

static void correction_free(struct correction *c);

static void corrections_release(struct corrections *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		correction_free(&cs->c[i]);
	free(cs->c);
	memset(cs, 0, sizeof(*cs));
}

/*
 * Appends a row (source_file, source_line, reason, record) to the file
 * `*w`, opening it at `path` on first use: the shape of rejects and of
 * unapplied corrections.  `file` is reduced to its base name, stable
 * wherever the job lives.
 */
static int note_row(struct csv_writer **w, const char *path,
		    const char *file, uint64_t line, const char *why,
		    const char *record, struct err *err)
{
	static const char *const header[] = {
		"source_file", "source_line", "reason", "record",
	};
	const char *v[4];
	char num[24];

	if (!*w) {
		*w = csvw_open(path, header, 4, 0, err);
		if (!*w)
			return -1;
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)line);
	v[0] = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	v[1] = num;
	v[2] = why;
	v[3] = record;
	return csvw_row(*w, v, NULL, err);
}

/*
 * Reads corrections from `path` (state/overrides.csv or the directory's
 * overrides input).  A row that cannot be used goes to `rj` with its
 * reason; nothing is dropped silently.
 */
static int load_corrections(const char *path, struct corrections *cs,
			    struct csv_writer **rj, const char *rj_path,
			    uint64_t *rejected, struct err *err)
{
	const struct schema *s = schema_find("directory", "overrides");
	struct csv_reader *r = csvr_open(path, staged_read_flags(path), err);
	const struct csv_row *row;
	size_t *map = NULL;
	enum csvr_status status;
	int ret = -1;

	if (!r || !s)
		goto out;
	map = xcalloc(s->nfields, sizeof(*map));
	if (schema_bind_header(s, path, csvr_header(r)->fields,
			       csvr_header(r)->nfields, map, err) < 0)
		goto out;
	while ((status = csvr_next(r, &row, err)) != CSVR_EOF) {
		const char *v[8];
		char why[ERR_MSG_MAX] = "";
		int64_t at = 0;

		if (status == CSVR_ERROR)
			goto out;
		if (status == CSVR_BADROW) {
			snprintf(why, sizeof(why), "%s", err->msg);
			err_clear(err);
		} else {
			for (size_t i = 0; i < 8 && i < s->nfields; i++)
				v[i] = row->fields[map[i]];
			if (!*v[0] || !*v[3])
				snprintf(why, sizeof(why), "CorrectionId and "
					 "CrmId are required");
			else if (strcmp(v[1], "link") && strcmp(v[1], "unlink"))
				snprintf(why, sizeof(why), "Action '%s' is not "
					 "link or unlink", v[1]);
			else if (!*v[4] && !*v[5])
				snprintf(why, sizeof(why), "neither MemberId "
					 "nor CompanyPageId is given");
			else if (sf_datetime_parse(v[6], strlen(v[6]), &at) <
				 0)
				snprintf(why, sizeof(why), "CreatedAt '%s' is "
					 "not a datetime", v[6]);
		}
		if (*why) {
			(*rejected)++;
			if (note_row(rj, rj_path, path, row->line, why,
				     row->nfields ? row->fields[0] : "",
				     err) < 0)
				goto out;
			continue;
		}
		XGROW(cs->c, cs->alloc, cs->n + 1);
		cs->c[cs->n].id = xstrdup(v[0]);
		cs->c[cs->n].action = xstrdup(v[1]);
		cs->c[cs->n].object = xstrdup(v[2]);
		cs->c[cs->n].crm_id = xstrdup(v[3]);
		cs->c[cs->n].target = xstrdup(*v[4] ? v[4] : v[5]);
		cs->c[cs->n].created = xstrdup(v[6]);
		cs->c[cs->n].seat = xstrdup(v[7]);
		cs->c[cs->n].at = at;
		cs->c[cs->n].source = xstrdup(path);
		cs->c[cs->n].line = row->line;
		cs->n++;
	}
	ret = 0;
out:
	csvr_close(r);
	free(map);
	return ret;
}

static void correction_free(struct correction *c)
{
	free(c->id);
	free(c->action);
	free(c->object);
	free(c->crm_id);
	free(c->target);
	free(c->created);
	free(c->seat);
	free(c->source);
}

static int corr_by_id_seq(const void *a, const void *b)
{
	const struct correction *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	return r ? r : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Keeps one correction per CorrectionId: the last read wins, so a row in
 * the directory's new file replaces the state's copy. */
static void corrections_dedupe(struct corrections *cs)
{
	size_t out = 0;

	for (size_t i = 0; i < cs->n; i++)
		cs->c[i].seq = i;
	sort_array(cs->c, cs->n, sizeof(*cs->c), corr_by_id_seq);
	for (size_t i = 0; i < cs->n; i++) {
		if (i + 1 < cs->n && strcmp(cs->c[i].id, cs->c[i + 1].id) == 0) {
			correction_free(&cs->c[i]);
			continue;
		}
		cs->c[out++] = cs->c[i];
	}
	cs->n = out;
}

/* Writes the accumulated corrections to state/overrides.csv. */
static int corrections_save(const char *path, const struct corrections *cs,
			    struct err *err)
{
	const struct schema *s = schema_find("directory", "overrides");
	struct csv_writer *w = csvw_open(path, schema_field_names(s),
					 s->nfields, CSVW_PLAIN, err);

	if (!w)
		return -1;
	for (size_t i = 0; i < cs->n; i++) {
		const struct correction *c = &cs->c[i];
		int person = strcmp(c->object, "Account") != 0;
		const char *v[8] = {
			c->id, c->action, c->object, c->crm_id,
			person ? c->target : "", person ? "" : c->target,
			c->created, c->seat,
		};

		if (csvw_row(w, v, NULL, err) < 0) {
			csvw_abort(w);
			return -1;
		}
	}
	return csvw_commit(w, NULL, err);
}

/* ---- one-to-one resolution (R21) ------------------------------------------------ */

struct id_ix {
	const char *id;
	uint32_t rec;
};

static int id_ix_cmp(const void *a, const void *b)
{
	return strcmp(((const struct id_ix *)a)->id,
		      ((const struct id_ix *)b)->id);
}

static struct id_ix *id_index(const struct side *s)
{
	struct id_ix *ix = xcalloc(s->n + 1, sizeof(*ix));

	for (size_t i = 0; i < s->n; i++) {
		ix[i].id = s->r[i].id;
		ix[i].rec = (uint32_t)i;
	}
	sort_array(ix, s->n, sizeof(*ix), id_ix_cmp);
	return ix;
}

static long id_find(const struct id_ix *ix, size_t n, const char *id)
{
	struct id_ix key = { id, 0 };
	const struct id_ix *hit = n ? bsearch(&key, ix, n, sizeof(*ix),
					      id_ix_cmp) : NULL;

	return hit ? (long)hit->rec : -1;
}

struct manual {
	uint32_t crm, dir;
	int64_t at;
	const char *id;
};

static int manual_cmp(const void *a, const void *b)
{
	const struct manual *x = a, *y = b;

	/* most recent first; CorrectionId breaks ties */
	if (x->at != y->at)
		return x->at > y->at ? -1 : 1;
	return strcmp(y->id, x->id);
}

/* qsort has no context argument: the model being resolved */
static const struct model *edge_model;

static int edge_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	int r;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	r = strcmp(edge_model->crm.r[x->crm].id, edge_model->crm.r[y->crm].id);
	if (r)
		return r;
	return strcmp(edge_model->dir.r[x->dir].id,
		      edge_model->dir.r[y->dir].id);
}

struct links {
	uint32_t *crm_to;   /* dir index + 1, 0 when unlinked */
	uint32_t *dir_to;   /* crm index + 1 */
	unsigned char *manual;
	double *score;      /* of the link */
	/* unlinked pairs, sorted (crm, dir) */
	struct edge *forbid;
	size_t nforbid;
};

static int forbid_cmp(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->crm != y->crm)
		return x->crm < y->crm ? -1 : 1;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static int forbidden(const struct links *l, uint32_t crm, uint32_t dir)
{
	struct edge key = { crm, dir, 0 };

	return l->nforbid && bsearch(&key, l->forbid, l->nforbid, sizeof(key),
				     forbid_cmp) != NULL;
}

/* Whether correction `c` concerns this model's CRM objects. */
static int model_has_object(const struct model *md, const char *object)
{
	for (size_t i = 0; i < md->m->ncrm; i++)
		if (strcmp(md->m->objects[i], object) == 0)
			return 1;
	return 0;
}

static int corr_by_pair(const void *a, const void *b)
{
	const struct correction *x = *(const struct correction *const *)a;
	const struct correction *y = *(const struct correction *const *)b;
	int r = strcmp(x->crm_id, y->crm_id);

	if (r)
		return r;
	r = strcmp(x->target, y->target);
	if (r)
		return r;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(x->id, y->id);
}

/*
 * Applies the corrections of this model then the scored pairs.  Manual
 * links that cannot be applied (a CRM record no longer in the mirror, an
 * unknown profile) are written to `rj` (unapplied_corrections) with the
 * reason: the correction was valid, the record it names is gone.
 */
static int resolve(struct model *md, const struct corrections *cs,
		   struct pairs *p, struct links *l, struct csv_writer **rj,
		   const char *rj_path, uint64_t *unapplied, struct err *err)
{
	struct id_ix *cix = NULL, *dix = NULL;
	const struct correction **mine = xcalloc(cs->n + 1, sizeof(*mine));
	struct manual *man = NULL;
	size_t nmine = 0, nman = 0, man_alloc = 0, forbid_alloc = 0;
	int ret = -1;

	l->crm_to = xcalloc(md->crm.n + 1, sizeof(*l->crm_to));
	l->dir_to = xcalloc(md->dir.n + 1, sizeof(*l->dir_to));
	l->manual = xcalloc(md->crm.n + 1, 1);
	l->score = xcalloc(md->crm.n + 1, sizeof(*l->score));
	for (size_t i = 0; i < cs->n; i++)
		if (model_has_object(md, cs->c[i].object))
			mine[nmine++] = &cs->c[i];
	if (nmine) {
		/* Id indexes only for corrections: sorting ten million
		 * profile Ids is the costliest part of resolving */
		cix = id_index(&md->crm);
		dix = id_index(&md->dir);
	}
	/* per (CRM record, profile) the most recent correction decides */
	sort_array(mine, nmine, sizeof(*mine), corr_by_pair);
	for (size_t i = 0; i < nmine; i++) {
		const struct correction *c = mine[i];
		long crm, dir;
		const char *why = NULL;

		if (i + 1 < nmine && !strcmp(c->crm_id, mine[i + 1]->crm_id) &&
		    !strcmp(c->target, mine[i + 1]->target))
			continue;
		crm = id_find(cix, md->crm.n, c->crm_id);
		dir = id_find(dix, md->dir.n, c->target);
		if (strcmp(c->action, "unlink") == 0) {
			if (crm < 0 || dir < 0)
				continue; /* nothing to undo */
			XGROW(l->forbid, forbid_alloc, l->nforbid + 1);
			l->forbid[l->nforbid].crm = (uint32_t)crm;
			l->forbid[l->nforbid].dir = (uint32_t)dir;
			l->nforbid++;
			continue;
		}
		if (crm < 0)
			why = "the CRM record is not in the mirror (deleted, "
			      "or never extracted)";
		else if (dir < 0)
			why = "the profile is not in the directory input";
		else if (strcmp(md->m->objects[md->crm.r[crm].obj],
				c->object) != 0)
			why = "CrmObject does not match the record's object";
		if (why) {
			char record[512];

			snprintf(record, sizeof(record), "%s,%s,%s,%s,%s",
				 c->id, c->action, c->object, c->crm_id,
				 c->target);
			(*unapplied)++;
			log_info("correction %s (%s %s %s -> %s): %s", c->id,
				 c->action, c->object, c->crm_id, c->target,
				 why);
			if (note_row(rj, rj_path, c->source, c->line, why,
				     record, err) < 0)
				goto out;
			continue;
		}
		XGROW(man, man_alloc, nman + 1);
		man[nman].crm = (uint32_t)crm;
		man[nman].dir = (uint32_t)dir;
		man[nman].at = c->at;
		man[nman].id = c->id;
		nman++;
	}
	sort_array(l->forbid, l->nforbid, sizeof(*l->forbid), forbid_cmp);
	sort_array(man, nman, sizeof(*man), manual_cmp);
	for (size_t i = 0; i < nman; i++) {
		struct manual *m = &man[i];

		if (l->crm_to[m->crm] || l->dir_to[m->dir])
			continue; /* a more recent correction claimed it */
		l->crm_to[m->crm] = m->dir + 1;
		l->dir_to[m->dir] = m->crm + 1;
		l->manual[m->crm] = 1;
		l->score[m->crm] = score_pair(md, &md->crm.r[m->crm],
					      &md->dir.r[m->dir]);
	}
	/* weigh each pair against the record's other candidates; what
	 * falls below the threshold then is no longer a candidate link */
	if (md->m->exclusive) {
		size_t kept = 0;

		for (size_t i = 0; i < p->n; i++) {
			struct edge e = p->e[i];

			e.score += rivals_weight(md, &p->top[e.crm], e.dir);
			if (e.score >= md->m->threshold)
				p->e[kept++] = e;
		}
		p->n = kept;
	}
	edge_model = md;
	sort_array(p->e, p->n, sizeof(*p->e), edge_cmp);
	for (size_t i = 0; i < p->n; i++) {
		const struct edge *e = &p->e[i];

		if (l->crm_to[e->crm] || l->dir_to[e->dir] ||
		    forbidden(l, e->crm, e->dir))
			continue;
		l->crm_to[e->crm] = e->dir + 1;
		l->dir_to[e->dir] = e->crm + 1;
		l->score[e->crm] = e->score;
	}
	ret = 0;
out:
	free(man);
	free(mine);
	free(cix);
	free(dix);
	return ret;
}

static void links_release(struct links *l)
{
	free(l->crm_to);
	free(l->dir_to);
	free(l->manual);
	free(l->score);
	free(l->forbid);
	memset(l, 0, sizeof(*l));
}

/* ---- outputs ------------------------------------------------------------------ */

static const struct model *order_model;

static int order_cmp(const void *a, const void *b)
{
	const struct rec *x = &order_model->crm.r[*(const uint32_t *)a];
	const struct rec *y = &order_model->crm.r[*(const uint32_t *)b];
	int r = strcmp(order_model->m->objects[x->obj],
		       order_model->m->objects[y->obj]);

	return r ? r : strcmp(x->id, y->id);
}

/* CRM record indexes in output order: object name, then Id. */
static uint32_t *crm_order(const struct model *md)
{
	uint32_t *o = xcalloc(md->crm.n + 1, sizeof(*o));

	for (size_t i = 0; i < md->crm.n; i++)
		o[i] = (uint32_t)i;
	order_model = md;
	sort_array(o, md->crm.n, sizeof(*o), order_cmp);
	return o;
}

/* What became of candidate `dir` of CRM record `crm` (the candidates
 * file's Outcome), in `buf` when it names a record. */
static const char *outcome(const struct model *md, const struct links *l,
			   uint32_t crm, uint32_t dir, double score,
			   char *buf, size_t size)
{
	if (l->crm_to[crm] == dir + 1)
		return l->manual[crm] ? "linked (manual)" : "linked";
	if (forbidden(l, crm, dir))
		return "unlinked by a manual correction";
	if (l->crm_to[crm]) {
		snprintf(buf, size, "record linked to %s",
			 md->dir.r[l->crm_to[crm] - 1].id);
		return buf;
	}
	if (score < md->m->threshold)
		return "below threshold";
	if (l->dir_to[dir]) {
		snprintf(buf, size, "profile linked to %s",
			 md->crm.r[l->dir_to[dir] - 1].id);
		return buf;
	}
	return "not linked";
}

/*
 * The rows of the matches and candidates files (people and accounts)
 * are formatted on threads: describing a pair scores it again, the
 * costliest part of writing.  Workers take chunks of OUT_CHUNK CRM
 * records (in output order) and put their rows' values into the chunk's
 * buffer (reading the records there, so that the cache misses are
 * spread over the threads); the caller's thread takes the chunks in
 * order and hands their rows to the writers, which check, quote and
 * compress them as before: the same bytes, whatever the threads.  At most
 * OUT_SLOTS chunks are formatted ahead of the one being written.
 */
#define OUT_CHUNK 1024
#define OUT_SLOTS 8

/* Values per row, besides the CRM object's name (struct out_row). */
#define OUT_CAND_VALUES 6   /* CRM Id, rank, profile Id, score, features,
			     * outcome */
#define OUT_MATCH_VALUES 5  /* CRM Id, profile Id, score, manual,
			     * features */

struct out_chunk {
	size_t id;            /* chunk number + 1 once formatted; 0: not */
	struct strbuf text;   /* the values, each NUL-terminated */
	size_t *at;           /* their offsets in text, in row order */
	size_t nat, alloc;
	struct out_row {
		const char *object;  /* the CRM object's name */
		int link;            /* a link (matches file), else a
				      * candidate */
	} *rows;
	size_t nrows, rows_alloc;
	uint64_t links, manual;  /* link rows, manual ones among them */
};

struct out_job {
	const struct model *md;
	const struct pairs *p;
	const struct links *l;
	const uint32_t *order;
	size_t nchunks;
	struct out_chunk slot[OUT_SLOTS]; /* chunk k is in slot k % OUT_SLOTS */
	pthread_mutex_t lock;
	pthread_cond_t formatted; /* a chunk was formatted */
	pthread_cond_t written;   /* a chunk was written, or stop was set */
	size_t next;              /* first chunk no worker has taken */
	size_t done;              /* chunks written */
	int stop;
};

/* Appends `len` bytes of `v` as the chunk's next value. */
static void chunk_add(struct out_chunk *ch, const char *v, size_t len)
{
	XGROW(ch->at, ch->alloc, ch->nat + 1);
	ch->at[ch->nat++] = ch->text.len;
	strbuf_add(&ch->text, v, len);
	strbuf_addch(&ch->text, '\0');
}

/* chunk_add() of a NUL-terminated value. */
static void chunk_adds(struct out_chunk *ch, const char *v)
{
	chunk_add(ch, v, strlen(v));
}

/* Starts a row (a link's, or a candidate's) of object `object`. */
static void chunk_row(struct out_chunk *ch, int link, const char *object)
{
	XGROW(ch->rows, ch->rows_alloc, ch->nrows + 1);
	ch->rows[ch->nrows].object = object;
	ch->rows[ch->nrows++].link = link;
}

/* Value `i` of the chunk and its length in *len. */
static const char *chunk_value(const struct out_chunk *ch, size_t i,
			       size_t *len)
{
	size_t end = i + 1 < ch->nat ? ch->at[i + 1] : ch->text.len;

	*len = end - ch->at[i] - 1;
	return ch->text.buf + ch->at[i];
}

/*
 * Starts fetching what formatting the rows of the CRM record `ahead`
 * places on in output order will read, in three steps so that each
 * finds in the cache the pointers it follows: the record and its top
 * (12 ahead), its candidates' records (8), then their values (4); the
 * records' sketches with the records, for their meta bytes, which the
 * scoring reads first (a miss on them was three quarters of the
 * re-scoring's time).  The records lie all over memory (output order
 * is by Id, the candidates any of ten million profiles), and at 1 M x
 * 10 M re-scoring the three million candidates for their weights
 * waited on memory most of the time.
 */
#define OUT_AHEAD 12

static void fetch_out(const struct out_job *j, size_t o, size_t to)
{
	const struct model *md = j->md;
	const struct top *t;
	uint32_t c;

	if (o + OUT_AHEAD < to) {
		c = j->order[o + OUT_AHEAD];
		fetch_rec(&md->crm.r[c]);
		fetch_sketches(&md->crm, c);
		__builtin_prefetch(&j->p->top[c]);
		__builtin_prefetch(&j->l->crm_to[c]);
	}
	if (o + OUT_AHEAD * 2 / 3 < to) {
		c = j->order[o + OUT_AHEAD * 2 / 3];
		t = &j->p->top[c];
		for (unsigned r = 0; r < t->n; r++) {
			fetch_rec(&md->dir.r[t->dir[r]]);
			fetch_sketches(&md->dir, t->dir[r]);
			__builtin_prefetch(&j->l->dir_to[t->dir[r]]);
		}
		if (j->l->crm_to[c]) {
			fetch_rec(&md->dir.r[j->l->crm_to[c] - 1]);
			fetch_sketches(&md->dir, j->l->crm_to[c] - 1);
		}
	}
	if (o + OUT_AHEAD / 3 < to) {
		c = j->order[o + OUT_AHEAD / 3];
		t = &j->p->top[c];
		fetch_values(md, &md->crm.r[c]);
		for (unsigned r = 0; r < t->n; r++) {
			fetch_values(md, &md->dir.r[t->dir[r]]);
			__builtin_prefetch(md->dir.r[t->dir[r]].id - 2);
		}
	}
}

/* Formats the rows of chunk `k` into `ch`: per CRM record its
 * candidates' rows (OUT_CAND_VALUES values each), then its link's
 * (OUT_MATCH_VALUES).  Can't fail. */
static void format_chunk(const struct out_job *j, size_t k,
			 struct out_chunk *ch, struct strbuf *desc)
{
	const struct model *md = j->md;
	const struct links *l = j->l;
	size_t to = (k + 1) * OUT_CHUNK;
	struct strbuf num = STRBUF_INIT;  /* a score, add_fixed3()'s */

	if (to > md->crm.n)
		to = md->crm.n;
	strbuf_reset(&ch->text);
	ch->nat = ch->nrows = 0;
	ch->links = ch->manual = 0;
	for (size_t o = k * OUT_CHUNK; o < to; o++) {
		uint32_t c = j->order[o];
		const struct rec *a = &md->crm.r[c];
		const struct top *t = &j->p->top[c];
		char score[32], buf[160];
		/* each candidate's weights, which a link among them reuses */
		double w[TOP_K][NF_MAX], sim[TOP_K][NF_MAX];
		int lvl[NF_MAX], swapped[TOP_K];

		fetch_out(j, o, to);
		for (unsigned r = 0; r < t->n; r++) {
			double rivals = rivals_weight(md, t, t->dir[r]);
			double total = t->score[r] + rivals;

			pair_weights(md, a, &md->dir.r[t->dir[r]], w[r], sim[r],
				     lvl, &swapped[r]);
			describe_weights(md, w[r], sim[r], swapped[r], 1,
					 has_rivals(md, t, t->dir[r]) ?
					 &rivals : NULL, desc);
			chunk_row(ch, 0, md->m->objects[a->obj]);
			chunk_adds(ch, a->id);
			chunk_add(ch, score, (size_t)snprintf(score,
				  sizeof(score), "%u", r + 1));
			chunk_adds(ch, md->dir.r[t->dir[r]].id);
			strbuf_reset(&num);
			add_fixed3(&num, total);
			chunk_add(ch, num.buf, num.len);
			chunk_add(ch, desc->buf, desc->len);
			chunk_adds(ch, outcome(md, l, c, t->dir[r], total, buf,
					       sizeof(buf)));
		}
		if (l->crm_to[c]) {
			uint32_t d = l->crm_to[c] - 1;
			double rivals = rivals_weight(md, t, d);
			const double *rv = has_rivals(md, t, d) &&
					   !l->manual[c] ? &rivals : NULL;
			unsigned r = 0;

			while (r < t->n && t->dir[r] != d)
				r++;
			if (r < t->n)
				describe_weights(md, w[r], sim[r], swapped[r],
						 0, rv, desc);
			else
				describe_pair(md, a, &md->dir.r[d], 0, rv,
					      desc);
			chunk_row(ch, 1, md->m->objects[a->obj]);
			chunk_adds(ch, a->id);
			chunk_adds(ch, md->dir.r[d].id);
			strbuf_reset(&num);
			add_fixed3(&num, l->score[c]);
			chunk_add(ch, num.buf, num.len);
			chunk_adds(ch, l->manual[c] ? "true" : "false");
			chunk_add(ch, desc->buf, desc->len);
			ch->links++;
			ch->manual += l->manual[c];
		}
	}
	strbuf_release(&num);
}

/* A formatting worker: takes the next chunk while the writer is fewer
 * than OUT_SLOTS chunks behind, until none is left or stop is set. */
static void *out_worker(void *arg)
{
	struct out_job *j = arg;
	struct strbuf desc = STRBUF_INIT;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		size_t k;

		while (!j->stop && j->next < j->nchunks &&
		       j->next >= j->done + OUT_SLOTS)
			pthread_cond_wait(&j->written, &j->lock);
		if (j->stop || j->next >= j->nchunks)
			break;
		k = j->next++;
		pthread_mutex_unlock(&j->lock);
		format_chunk(j, k, &j->slot[k % OUT_SLOTS], &desc);
		pthread_mutex_lock(&j->lock);
		j->slot[k % OUT_SLOTS].id = k + 1;
		pthread_cond_broadcast(&j->formatted);
	}
	pthread_mutex_unlock(&j->lock);
	strbuf_release(&desc);
	return NULL;
}

/* Waits until chunk `k` is formatted, formatting it here when no worker
 * runs; returns its slot. */
static struct out_chunk *out_take(struct out_job *j, size_t k, int threaded,
				  struct strbuf *desc)
{
	struct out_chunk *ch = &j->slot[k % OUT_SLOTS];

	if (!threaded) {
		format_chunk(j, k, ch, desc);
		return ch;
	}
	pthread_mutex_lock(&j->lock);
	while (ch->id != k + 1)
		pthread_cond_wait(&j->formatted, &j->lock);
	pthread_mutex_unlock(&j->lock);
	return ch;
}

/* Marks chunk `k` written: its slot may take chunk k + OUT_SLOTS. */
static void out_written(struct out_job *j, size_t k)
{
	pthread_mutex_lock(&j->lock);
	j->done = k + 1;
	pthread_cond_broadcast(&j->written);
	pthread_mutex_unlock(&j->lock);
}

static int write_outputs(struct model *md, const struct pairs *p,
			 const struct links *l, struct stage *st,
			 struct csv_writer *rate, struct csv_writer *hist,
			 struct match_side_result *res, struct err *err)
{
	static const double bands[] = { -20, -10, -5, 0, 5, 10, 20 };
	enum { NBANDS = sizeof(bands) / sizeof(bands[0]) + 2 };
	int person = strcmp(md->label, "people") == 0;
	char *mname = xasprintf("%s_matches.csv.gz",
				person ? "person" : "account");
	char *cname = xasprintf("%s_candidates.csv.gz",
				person ? "person" : "account");
	uint32_t *order = crm_order(md);
	struct csv_writer *mw = NULL, *cw = NULL;
	struct strbuf desc = STRBUF_INIT;
	struct out_job job;
	size_t nthreads = match_threads(), started = 0;
	pthread_t th[64];
	int ret = -1;

	memset(&job, 0, sizeof(job));
	for (size_t i = 0; i < OUT_SLOTS; i++)
		strbuf_init(&job.slot[i].text, 0);
	pthread_mutex_init(&job.lock, NULL);
	pthread_cond_init(&job.formatted, NULL);
	pthread_cond_init(&job.written, NULL);

	mw = stage_open_output(st, mname, person ? "person_matches" :
			       "account_matches", 0, err);
	/* the audit file is the stage's largest (three rows per CRM
	 * record, each with every weight): gzip level 1 writes it three
	 * to four times faster, for files about 40% larger */
	cw = mw ? stage_open_output(st, cname, "match_candidates", CSVW_FAST,
				    err)
		: NULL;
	if (!cw)
		goto out;
	job.md = md;
	job.p = p;
	job.l = l;
	job.order = order;
	job.nchunks = (md->crm.n + OUT_CHUNK - 1) / OUT_CHUNK;
	/* the caller's thread writes, and as many threads as cores format:
	 * a row costs far less to write than to format (describing a pair
	 * scores it again), and with one formatter fewer the caller mostly
	 * waited (1 M x 10 M: resolving and writing 10.1 s, now 6.2 s) */
	for (size_t i = 0; nthreads > 1 && i < nthreads && i < 64 &&
	     i < job.nchunks; i++) {
		if (pthread_create(&th[i], NULL, out_worker, &job))
			break;
		started++;
	}
	for (size_t k = 0; k < job.nchunks; k++) {
		const struct out_chunk *ch = out_take(&job, k, started > 0,
						      &desc);
		size_t at = 0;

		for (size_t row = 0; row < ch->nrows; row++) {
			const char *v[1 + OUT_CAND_VALUES];
			size_t len[1 + OUT_CAND_VALUES];
			int link = ch->rows[row].link;
			size_t n = link ? OUT_MATCH_VALUES : OUT_CAND_VALUES;

			v[0] = ch->rows[row].object;
			len[0] = strlen(v[0]);
			for (size_t i = 1; i <= n; i++)
				v[i] = chunk_value(ch, at++, &len[i]);
			if (csvw_row(link ? mw : cw, v, len, err) < 0)
				goto out;
		}
		res->links += ch->links;
		res->manual += ch->manual;
		if (started)
			out_written(&job, k);
	}
	if (stage_commit_output(st, mw, mname, person ? "person_matches" :
		      "account_matches", err) < 0) {
		mw = NULL;
		goto out;
	}
	mw = NULL;
	if (stage_commit_output(st, cw, cname, "match_candidates", err) < 0) {
		cw = NULL;
		goto out;
	}
	cw = NULL;
	/* the report, per CRM object (R23) */
	for (size_t obj = 0; obj < md->m->ncrm; obj++) {
		uint64_t records = 0, matched = 0, manual = 0;
		uint64_t band[NBANDS] = { 0 };
		char r1[24], r2[24], r3[24], r4[24];
		const char *v[5];

		if (!object_used(md, obj))
			continue;

		for (size_t c = 0; c < md->crm.n; c++) {
			const struct top *t = &p->top[c];
			size_t b = 0;

			if (md->crm.r[c].obj != obj)
				continue;
			records++;
			matched += l->crm_to[c] != 0;
			manual += l->manual[c];
			if (!t->n) {
				band[NBANDS - 1]++;
				continue;
			}
			while (b < NBANDS - 2 && t->score[0] +
			       rivals_weight(md, t, t->dir[0]) >= bands[b])
				b++;
			band[b]++;
		}
		snprintf(r1, sizeof(r1), "%llu", (unsigned long long)records);
		snprintf(r2, sizeof(r2), "%llu", (unsigned long long)matched);
		snprintf(r3, sizeof(r3), "%llu", (unsigned long long)manual);
		snprintf(r4, sizeof(r4), "%.4f",
			 records ? (double)matched / (double)records : 0.0);
		v[0] = md->m->objects[obj];
		v[1] = r1;
		v[2] = r2;
		v[3] = r3;
		v[4] = r4;
		if (csvw_row(rate, v, NULL, err) < 0)
			goto out;
		for (size_t b = 0; b < NBANDS; b++) {
			char name[32], n[24];
			const char *hv[3];

			if (b == 0)
				snprintf(name, sizeof(name), "<%g", bands[0]);
			else if (b == NBANDS - 2)
				snprintf(name, sizeof(name), ">=%g",
					 bands[NBANDS - 3]);
			else if (b == NBANDS - 1)
				snprintf(name, sizeof(name), "none");
			else
				snprintf(name, sizeof(name), "[%g,%g)",
					 bands[b - 1], bands[b]);
			snprintf(n, sizeof(n), "%llu",
				 (unsigned long long)band[b]);
			hv[0] = md->m->objects[obj];
			hv[1] = name;
			hv[2] = n;
			if (csvw_row(hist, hv, NULL, err) < 0)
				goto out;
		}
	}
	ret = 0;
out:
	pthread_mutex_lock(&job.lock);
	job.stop = 1;
	pthread_cond_broadcast(&job.written);
	pthread_mutex_unlock(&job.lock);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (size_t i = 0; i < OUT_SLOTS; i++) {
		strbuf_release(&job.slot[i].text);
		free(job.slot[i].at);
		free(job.slot[i].rows);
	}
	pthread_mutex_destroy(&job.lock);
	pthread_cond_destroy(&job.formatted);
	pthread_cond_destroy(&job.written);
	csvw_abort(mw);
	csvw_abort(cw);
	strbuf_release(&desc);
	free(order);
	free(cname);
	free(mname);
	return ret;
}

/* A rule as the job file gives it: "last_name:phonetic first_name:initial". */
static void rule_text(const struct model *md, size_t rule, struct strbuf *out)
{
	const struct match_blocking *bl = &md->m->blocking[rule];

	strbuf_reset(out);
	for (size_t k = 0; k < bl->nkeys; k++)
		strbuf_addf(out, "%s%s%s", k ? " " : "",
			    md->m->fields[bl->keys[k]].name,
			    bl->transforms[k] == BT_PHONETIC ? ":phonetic" :
			    bl->transforms[k] == BT_INITIAL ? ":initial" : "");
	if (bl->crossed)
		strbuf_addstr(out, " (crossed)");
}

/* The match_blocking rows of one model. */
static int write_blocking(const struct model *md, const struct pairs *p,
			  struct csv_writer *w, struct err *err)
{
	double all = (double)md->crm.n * (double)md->dir.n;
	struct rule_stats total = { 0, 0, 0, 0 };
	struct strbuf name = STRBUF_INIT;
	int ret = -1;

	for (size_t r = 0; r <= md->m->nblocking; r++) {
		const struct rule_stats *rs = r < md->m->nblocking ?
					      &p->rules[r] : &total;
		char n[4][24], ratio[32];
		const char *v[7];

		if (r < md->m->nblocking) {
			rule_text(md, r, &name);
			total.blocks += rs->blocks;
			total.capped_blocks += rs->capped_blocks;
			total.capped_pairs += rs->capped_pairs;
			total.pairs += rs->pairs;
		} else {
			strbuf_reset(&name);
			strbuf_addstr(&name, "all");
		}
		snprintf(n[0], sizeof(n[0]), "%llu", (unsigned long long)rs->blocks);
		snprintf(n[1], sizeof(n[1]), "%llu", (unsigned long long)rs->pairs);
		snprintf(n[2], sizeof(n[2]), "%llu",
			 (unsigned long long)rs->capped_blocks);
		snprintf(n[3], sizeof(n[3]), "%llu",
			 (unsigned long long)rs->capped_pairs);
		snprintf(ratio, sizeof(ratio), "%.9f",
			 all > 0 ? 1 - (double)rs->pairs / all : 0.0);
		v[0] = md->label;
		v[1] = name.buf;
		v[2] = n[0];
		v[3] = n[1];
		v[4] = n[2];
		v[5] = n[3];
		v[6] = ratio;
		if (csvw_row(w, v, NULL, err) < 0)
			goto out;
	}
	ret = 0;
out:
	strbuf_release(&name);
	return ret;
}

/* ---- the stage ---------------------------------------------------------------- */


static void model_init(struct model *md, const struct match_model *m,
		       const char *label)
{
	memset(md, 0, sizeof(*md));
	md->m = m;
	md->label = label;
	md->email_field = -1;
	md->country_field = -1;
	md->cmp_first = -1;
	md->cmp_last = -1;
	for (size_t i = 0; i < m->ncomparisons; i++) {
		if (!strcmp(m->comparisons[i].field, "first_name"))
			md->cmp_first = (int)i;
		if (!strcmp(m->comparisons[i].field, "last_name"))
			md->cmp_last = (int)i;
		md->has_implied |= m->comparisons[i].implied_by != 0;
		if (m->comparisons[i].method == MM_TOKEN_SET &&
		    m->comparisons[i].field_index < NF_MAX)
			md->words[m->comparisons[i].field_index] = 1;
	}
	if (md->cmp_first >= 0 && md->cmp_last >= 0)
		md->cross_max = bound_plain(&m->comparisons[md->cmp_first]) +
				bound_plain(&m->comparisons[md->cmp_last]);
	find_sketches(md);
	md->floor = m->candidate_floor < m->threshold ? m->candidate_floor :
		    m->threshold;
	for (size_t f = 0; f < m->nfields && f < NF_MAX; f++) {
		md->kind[f] = prep_kind_of(m->fields[f].name);
		if (strcmp(m->fields[f].name, "email") == 0)
			md->email_field = (int)f;
		if (strcmp(m->fields[f].name, "country") == 0)
			md->country_field = (int)f;
	}
	find_swap_keys(md);
	share_memo(md);
}

static void model_release(struct model *md)
{
	if (md->bl) {
		struct blocks bl;

		blocks_take(md, &bl);
		blocks_release(&bl);
	}
	free(md->lv_max);
	md->lv_max = NULL;
	free(md->rest);
	md->rest = NULL;
	free(md->tf_count);
	md->tf_count = NULL;
	free(md->tf_joint);
	md->tf_joint = NULL;
	free(md->tf_given);
	md->tf_given = NULL;
	free(md->tf_w);
	md->tf_w = NULL;
	free(md->tf_gw);
	md->tf_gw = NULL;
	side_release(&md->crm);
	side_release(&md->dir);
	for (size_t i = 0; i < md->nlookups; i++) {
		free(md->lookups[i].slot);
		free(md->lookups[i].read);
		arena_release(&md->lookups[i].arena);
	}
	free(md->lookups);
	md->lookups = NULL;
	md->nlookups = 0;
}

/*
 * Reads the parent values of the lookups of md->lookups[from..] whose
 * schema is md->lookups[from]'s, from `path`, each by the parent's key
 * (struct lookup): a mirror file (salesforce/Account, keyed by Id) or a
 * directory file (directory/companies, keyed by CompanyPageId, whose
 * columns must be in schema order).  One pass over the file for all of
 * the schema's fields; records the file among the stage's inputs.
 */
static int read_lookups(struct model *md, size_t from, const char *path,
			struct stage *st, struct err *err)
{
	const struct schema *ps = md->lookups[from].schema;
	struct csv_reader *r = csvr_open(path, staged_read_flags(path), err);
	const struct csv_row *row;
	enum csvr_status status;
	char *schema_id = xasprintf("%s/%s", ps->group, ps->name);
	char sha[SHA256_HEX_LEN + 1];
	int id_col = schema_field_index(ps, ps->key ? ps->key : "Id");
	int ret = -1;

	if (!r || check_columns(ps, r, path, err) < 0)
		goto out;
	while ((status = csvr_next(r, &row, err)) == CSVR_ROW) {
		if (id_col < 0 || (size_t)id_col >= row->nfields ||
		    !row->lens[id_col])
			continue;
		for (size_t i = from; i < md->nlookups; i++) {
			struct lookup *l = &md->lookups[i];

			if (l->schema != ps || (size_t)l->field >= row->nfields)
				continue;
			lookup_add(l, row->fields[id_col], row->lens[id_col],
				   row->fields[l->field], row->lens[l->field]);
		}
	}
	if (status != CSVR_EOF ||
	    (st && (csvr_sha256_hex(r, sha) < 0 ||
		    stage_add_input(st, path, schema_id, csvr_records(r), 0,
				    csvr_bytes_read(r), sha, err) < 0)))
		goto out;
	for (size_t i = from; i < md->nlookups; i++)
		if (md->lookups[i].schema == ps)
			lookup_build(&md->lookups[i]);
	ret = 0;
out:
	if (ret < 0)
		err_prefix(err, "lookup %s/%s", ps->group, ps->name);
	csvr_close(r);
	free(schema_id);
	return ret;
}

/*
 * Reads the parent values every lookup of the model needs, each parent
 * file once: a CRM object's from the mirror in `state`, a directory
 * file's from the job's directory input.
 */
static int load_lookups(struct model *md, const struct job *job,
			const char *state, struct stage *st, struct err *err)
{
	size_t alloc = 0;

	for (size_t f = 0; f < md->m->nfields; f++) {
		for (size_t obj = 0; obj < md->m->nobjects; obj++) {
			const struct match_source *src =
				&md->m->fields[f].src[obj];

			for (size_t k = 0; k < src->nfields; k++) {
				const struct schema *ps = src->lookup_schema ?
					src->lookup_schema[k] : NULL;
				int pf = ps ? src->lookup_index[k] : -1;
				int known = 0;

				if (!ps)
					continue;
				for (size_t i = 0; i < md->nlookups; i++)
					known |= md->lookups[i].schema == ps &&
						 md->lookups[i].field == pf;
				if (known)
					continue;
				XGROW(md->lookups, alloc, md->nlookups + 1);
				memset(&md->lookups[md->nlookups], 0,
				       sizeof(*md->lookups));
				md->lookups[md->nlookups].schema = ps;
				md->lookups[md->nlookups].field = pf;
				md->nlookups++;
			}
		}
	}
	for (size_t i = 0; i < md->nlookups; i++) {
		const struct schema *ps = md->lookups[i].schema;
		char *path;
		int seen = 0, ret;

		for (size_t j = 0; j < i; j++)
			seen |= md->lookups[j].schema == ps;
		if (seen)
			continue;
		if (strcmp(ps->group, "directory") != 0) {
			path = xasprintf("%s/mirror/%s.csv.gz", state, ps->name);
		} else if (strcmp(ps->name, "companies") == 0 &&
			   job->directory.companies) {
			path = xstrdup(job->directory.companies);
		} else {
			/* job_load() refuses such a job */
			err_set(err, ERR_CONFIG, "%s: a lookup reads directory.%s, "
				"which the job does not give", job->path,
				ps->name);
			return -1;
		}
		ret = read_lookups(md, i, path, st, err);
		free(path);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* Loads both sides of a model: the CRM mirror and the directory file. */
/* The prior log-odds: with one true partner per record at most, two
 * records taken at random match with probability 1 / (larger side). */
static void set_prior(struct model *md)
{
	size_t n = md->crm.n > md->dir.n ? md->crm.n : md->dir.n;
	double p;

	switch (md->m->prior) {
	case PRIOR_NONE:
		md->prior = 0;
		return;
	case PRIOR_GIVEN:
		p = md->m->prior_probability;
		break;
	case PRIOR_AUTO:
	default:
		p = n > 1 ? 1.0 / (double)n : 0.5;
		break;
	}
	md->prior = log2(p / (1 - p));
}

/* The value comparison `i` counts terms of: the email's hash, so that
 * clear and hashed addresses are one term. */
static const char *term_of(const struct model *md, size_t i,
			   const struct rec *r)
{
	size_t f = md->m->comparisons[i].field_index;

	return (int)f == md->email_field ? r->hash : r->v[f];
}

/*
 * Term-frequency counting (count_terms()) in one pass over the
 * directory: a table holds every key the CRM side needs, each a value
 * of a comparison with term_frequency (TF_VALUE), a value of its
 * term_frequency_given comparison (TF_GIVEN), or the pair of both
 * (TF_JOINT), tagged with the comparison's slot; each directory record
 * adds one to the keys it holds.  The passes of before, one per
 * comparison and table, read each record and its strings seven times.
 */
enum { TF_VALUE, TF_GIVEN, TF_JOINT };

struct tf_entry {
	uint64_t key;      /* tf_key(); 0: empty */
	uint32_t count;    /* directory records holding it */
	uint32_t unused;
};

struct tf_table {
	struct tf_entry *e;
	size_t mask, n;    /* mask + 1 entries, n of them used */
};

/* The hash of term `v` of comparison `i` (term_of()), never 0. */
static uint64_t term_hash(const struct model *md, size_t i, const char *v)
{
	size_t f = md->m->comparisons[i].field_index;

	return value_hash(md, f, v) | 1;
}

/* The key of term hash `h` (of a value, or of a pair: pair_hash()) for
 * `kind` of slot `slot`: never 0. */
static uint64_t tf_key(uint64_t h, int slot, int kind)
{
	uint64_t tag = (uint64_t)(slot * 3 + kind + 1) * 0x9e3779b97f4a7c15ULL;

	h ^= tag;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h | 1;
}

/* The hash of the pair of terms of hashes g and v. */
static uint64_t pair_hash(uint64_t g, uint64_t v)
{
	return (g * 0x9e3779b97f4a7c15ULL ^ v) | 1;
}

/* The entry of `key` in `t`, or the empty one where it would go. */
static struct tf_entry *tf_find(const struct tf_table *t, uint64_t key)
{
	size_t b;

	for (b = key & t->mask; t->e[b].key && t->e[b].key != key;
	     b = (b + 1) & t->mask)
		;
	return &t->e[b];
}

/* Adds `key` to `t` (with no count), growing it to keep it at most
 * half full.  Aborts when out of memory (xalloc). */
static void tf_add(struct tf_table *t, uint64_t key)
{
	struct tf_entry *e = tf_find(t, key);

	if (e->key)
		return;
	if ((t->n + 1) * 2 > t->mask + 1) {
		struct tf_table old = *t;

		t->mask = old.mask * 2 + 1;
		t->e = xcalloc(t->mask + 1, sizeof(*t->e));
		for (size_t b = 0; b <= old.mask; b++)
			if (old.e[b].key)
				*tf_find(t, old.e[b].key) = old.e[b];
		free(old.e);
		e = tf_find(t, key);
	}
	e->key = key;
	t->n++;
}

/* Whether record `r` holds a term of comparison `i`; its hash goes to
 * hash[i] the first time (have[i]: 0 not looked at, 1 none, 2 held),
 * as a comparison's term may be another's given term too. */
static int term_held(const struct model *md, size_t i, const struct rec *r,
		     uint64_t *hash, unsigned char *have)
{
	if (!have[i]) {
		const char *v = term_of(md, i, r);

		have[i] = v ? 2 : 1;
		if (v)
			hash[i] = term_hash(md, i, v);
	}
	return have[i] == 2;
}

/*
 * The keys of record `r` into keys[0 .. 3 * ntf) (0 where it has none):
 * for slot s, its value's at 3 s, and with term_frequency_given the
 * given value's and the pair's at 3 s + 1 and 3 s + 2.  Values present
 * add one to total[slot] when `total` is not NULL.
 */
static void tf_keys_of(const struct model *md, const struct rec *r,
		       uint64_t *keys, uint64_t *total)
{
	const struct match_model *m = md->m;
	uint64_t hash[NF_MAX];
	unsigned char have[NF_MAX] = { 0 };
	size_t n = 0;

	for (size_t i = 0; i < m->ncomparisons; i++) {
		int slot = md->tf_slot[i];
		size_t g = m->comparisons[i].tf_given;
		int held;

		if (slot < 0)
			continue;
		keys[n] = keys[n + 1] = keys[n + 2] = 0;
		held = term_held(md, i, r, hash, have);
		if (held) {
			keys[n] = tf_key(hash[i], slot, TF_VALUE);
			if (total)
				total[slot]++;
		}
		if (g-- && term_held(md, g, r, hash, have)) {
			keys[n + 1] = tf_key(hash[g], slot, TF_GIVEN);
			if (held)
				keys[n + 2] = tf_key(pair_hash(hash[g], hash[i]),
						     slot, TF_JOINT);
		}
		n += 3;
	}
}

/* A part of the directory pass: records [from, to), counted into the
 * shared table (atomic adds: the keys are there before the pass, and
 * only counts change). */
struct tf_part {
	const struct model *md;
	const struct tf_table *t;
	size_t from, to;
	uint64_t total[NF_MAX];  /* records with a value, per slot */
};

#define TF_AHEAD 8  /* records whose entries are fetched ahead */

/* Counts the keys of part `arg`'s directory records, TF_AHEAD at a
 * time: their keys are worked out and their entries prefetched first
 * (the table is larger than the caches), the next records' values
 * fetched meanwhile (the phase 3.5 -> 2.8 s at 1 M x 10 M).  Can't
 * fail. */
static void *tf_part_run(void *arg)
{
	struct tf_part *p = arg;
	const struct model *md = p->md;
	uint64_t keys[TF_AHEAD][3 * NF_MAX];
	size_t nk = 3 * md->ntf;

	for (size_t d0 = p->from; d0 < p->to; d0 += TF_AHEAD) {
		size_t n = p->to - d0 < TF_AHEAD ? p->to - d0 : TF_AHEAD;

		/* the next records' values, whose hashes follow them:
		 * shared by the memo, they lie anywhere in the arenas */
		for (size_t j = d0 + TF_AHEAD; j < p->to &&
		     j < d0 + 2 * TF_AHEAD; j++)
			fetch_values(md, &md->dir.r[j]);
		for (size_t j = 0; j < n; j++) {
			tf_keys_of(md, &md->dir.r[d0 + j], keys[j], p->total);
			for (size_t k = 0; k < nk; k++)
				if (keys[j][k])
					__builtin_prefetch(&p->t->e[keys[j][k] &
								    p->t->mask], 1);
		}
		for (size_t j = 0; j < n; j++)
			for (size_t k = 0; k < nk; k++) {
				struct tf_entry *e;

				if (!keys[j][k])
					continue;
				e = tf_find(p->t, keys[j][k]);
				if (e->key)
					__atomic_fetch_add(&e->count, 1,
							   __ATOMIC_RELAXED);
			}
	}
	return NULL;
}

/*
 * What the pairs weigh of the term frequencies, once per CRM record and
 * comparison instead of once per pair: log2(m / u) with the term's u
 * (tf_u()) and with that of term_frequency_given (tf_given_u()), as the
 * pairs computed it (the same doubles).
 */
static void tf_weights(struct model *md)
{
	const struct match_model *m = md->m;

	if (!md->tf_count)
		return;
	md->tf_w = xmalloc(md->crm.n * md->ntf * sizeof(*md->tf_w));
	if (md->tf_joint)
		md->tf_gw = xmalloc(md->crm.n * md->ntf * sizeof(*md->tf_gw));
	for (size_t i = 0; i < m->ncomparisons; i++) {
		const struct match_comparison *c = &m->comparisons[i];
		double lm = c->nlevels ? c->levels[0].m : 0;

		if (md->tf_slot[i] < 0)
			continue;
		for (size_t r = 0; r < md->crm.n; r++) {
			const struct rec *a = &md->crm.r[r];
			size_t at = r * md->ntf + (size_t)md->tf_slot[i];
			double u = tf_u(md, i, a);

			md->tf_w[at] = u > 0 && lm > 0 ? log2(lm / u) : NAN;
			if (md->tf_gw)
				md->tf_gw[at] = c->tf_given &&
					(u = tf_given_u(md, i, a)) > 0 ?
					log2(lm / u) : NAN;
		}
	}
}

/*
 * Term frequencies (Splink's term-frequency adjustment): for every
 * comparison with term_frequency, how many directory records hold each
 * CRM record's value (and, with term_frequency_given, its given value
 * and both).  The table is keyed by the CRM side's values, the smaller
 * side, and the directory is streamed through it once, on up to
 * match_threads() threads.  Aborts when out of memory (xalloc).
 */
static void count_terms(struct model *md)
{
	const struct match_model *m = md->m;
	struct tf_table t;
	struct tf_part part[64];
	size_t nslot3, np = match_threads();
	uint64_t keys[3 * NF_MAX];

	md->ntf = 0;
	for (size_t i = 0; i < m->ncomparisons; i++)
		md->tf_slot[i] = m->comparisons[i].term_frequency ?
				 (int)md->ntf++ : -1;
	if (!md->ntf || !md->crm.n)
		return;
	nslot3 = 3 * md->ntf;
	md->tf_count = xcalloc(md->crm.n * md->ntf, sizeof(*md->tf_count));
	for (size_t i = 0; i < m->ncomparisons; i++)
		if (md->tf_slot[i] >= 0 && m->comparisons[i].tf_given &&
		    !md->tf_joint) {
			md->tf_joint = xcalloc(md->crm.n * md->ntf,
					       sizeof(*md->tf_joint));
			md->tf_given = xcalloc(md->crm.n * md->ntf,
					       sizeof(*md->tf_given));
		}
	/* the CRM side's keys */
	t.mask = 1023;
	t.n = 0;
	t.e = xcalloc(t.mask + 1, sizeof(*t.e));
	for (size_t c = 0; c < md->crm.n; c++) {
		tf_keys_of(md, &md->crm.r[c], keys, NULL);
		for (size_t k = 0; k < nslot3; k++)
			if (keys[k])
				tf_add(&t, keys[k]);
	}
	/* the directory pass */
	if (np > md->dir.n / 65536 + 1)
		np = md->dir.n / 65536 + 1;
	for (size_t k = 0; k < np; k++) {
		memset(&part[k], 0, sizeof(part[k]));
		part[k].md = md;
		part[k].t = &t;
		part[k].from = md->dir.n * k / np;
		part[k].to = md->dir.n * (k + 1) / np;
	}
	run_on_threads(tf_part_run, part, sizeof(*part), np);
	for (size_t s = 0; s < md->ntf; s++) {
		md->tf_total[s] = 0;
		for (size_t k = 0; k < np; k++)
			md->tf_total[s] += part[k].total[s];
	}
	/* each CRM record's counts */
	for (size_t c = 0; c < md->crm.n; c++) {
		tf_keys_of(md, &md->crm.r[c], keys, NULL);
		for (size_t s = 0; s < md->ntf; s++) {
			size_t at = c * md->ntf + s;

			if (keys[3 * s])
				md->tf_count[at] = tf_find(&t, keys[3 * s])->count;
			if (keys[3 * s + 1])
				md->tf_given[at] = tf_find(&t, keys[3 * s + 1])->count;
			if (keys[3 * s + 2])
				md->tf_joint[at] = tf_find(&t, keys[3 * s + 2])->count;
		}
	}
	free(t.e);
}

static int load_model(const struct job *job, struct model *md,
		      const char *dir_path, struct stage *st, struct err *err)
{
	char *state = job_state_dir(job);
	int ret = -1;
	int64_t t0 = clock_real_ms(), t1, t2, t3;

	if (load_lookups(md, job, state, st, err) < 0)
		goto out;
	t1 = clock_real_ms();
	if (md->m->nfields > NF_MAX) {
		err_set(err, ERR_CONFIG, "%s: match.%s maps %zu fields, at most "
			"%d are supported", job->path, md->label,
			md->m->nfields, NF_MAX);
		goto out;
	}
	for (size_t obj = 0; obj < md->m->ncrm; obj++) {
		char *path;

		if (!object_used(md, obj))
			continue;
		path = xasprintf("%s/mirror/%s.csv.gz", state,
				 md->m->objects[obj]);

		if (!fs_exists(path)) {
			err_set(err, ERR_NOINPUT, "match %s: no mirror of %s "
				"('%s'): run the extract first", md->label,
				md->m->objects[obj], path);
			free(path);
			goto out;
		}
		ret = load_file(md, &md->crm, (unsigned)obj, path, st, err);
		free(path);
		if (ret < 0)
			goto out;
		ret = -1;
	}
	if (!dir_path) {
		err_set(err, ERR_CONFIG, "%s: match.%s needs the directory "
			"input '%s'", job->path, md->label,
			md->m->objects[md->m->ncrm]);
		goto out;
	}
	t2 = clock_real_ms();
	if (load_file(md, &md->dir, (unsigned)md->m->ncrm, dir_path, st,
		      err) < 0)
		goto out;
	t3 = clock_real_ms();
	set_prior(md);
	blocks_start(md);
	count_terms(md);
	tf_weights(md);
	bound_tables(md);
	log_debug("match %s: lookups read in %lld ms, CRM records in %lld "
		  "ms, directory records in %lld ms, term frequencies and "
		  "bound tables in %lld ms", md->label, (long long)(t1 - t0),
		  (long long)(t2 - t1), (long long)(t3 - t2),
		  (long long)(clock_real_ms() - t3));
	ret = 0;
out:
	if (ret < 0)
		err_prefix(err, "match %s", md->label);
	free(state);
	return ret;
}

int match_run(const struct job *job, const struct run *run,
	      struct match_result *res, struct err *err)
{
	const struct job_settings *set = job->settings;
	struct corrections cs = { NULL, 0, 0 };
	struct csv_writer *rate = NULL, *hist = NULL, *rj = NULL, *ua = NULL;
	struct csv_writer *blk = NULL;
	struct stage *st = NULL;
	struct model models[2];
	char *state = job_state_dir(job);
	char *saved = xasprintf("%s/overrides.csv", state);
	char *rj_path = NULL, *ua_path = NULL;
	int ret = -1, begun;

	memset(res, 0, sizeof(*res));
	xalloc_keep_freed();
	model_init(&models[0], &set->people, "people");
	model_init(&models[1], &set->accounts, "accounts");
	begun = stage_begin(run, "match", &st, err);
	if (begun < 0)
		goto out;
	if (begun == 1) {
		res->skipped = 1;
		ret = 0;
		goto out;
	}
	rj_path = stage_path(st, "rejects/overrides.csv.gz");
	ua_path = stage_path(st, "unapplied_corrections.csv.gz");
	if (fs_mkdirs(stage_dir(st), 0755, err) < 0)
		goto out;
	{
		char *rjdir = stage_path(st, "rejects");

		if (fs_mkdirs(rjdir, 0755, err) < 0) {
			free(rjdir);
			goto out;
		}
		free(rjdir);
	}
	/* manual corrections: what earlier runs kept, then what is new */
	if (fs_exists(saved) &&
	    load_corrections(saved, &cs, &rj, rj_path,
			     &res->overrides_rejected, err) < 0)
		goto out;
	if (job->directory.overrides &&
	    load_corrections(job->directory.overrides, &cs, &rj, rj_path,
			     &res->overrides_rejected, err) < 0)
		goto out;
	corrections_dedupe(&cs);
	rate = stage_open_output(st, "match_rate.csv.gz", "match_rate", 0, err);
	hist = rate ? stage_open_output(st, "match_histogram.csv.gz",
			       "match_histogram", 0, err) : NULL;
	blk = hist ? stage_open_output(st, "match_blocking.csv.gz",
				       "match_blocking", 0, err) : NULL;
	if (!blk)
		goto out;
	for (int i = 0; i < 2; i++) {
		struct model *md = &models[i];
		struct match_side_result *sr = i ? &res->accounts : &res->people;
		struct pairs p;
		struct links l;
		int64_t t0, t1, t2, c0, c1, c2;
		int rc;

		if (!md->m->enabled)
			continue;
		memset(&p, 0, sizeof(p));
		memset(&l, 0, sizeof(l));
		sr->enabled = 1;
		t0 = clock_real_ms();
		c0 = cpu_ms();
		if (load_model(job, md, i ? job->directory.companies :
			       job->directory.members, st, err) < 0)
			goto out;
		if (translit_error())
			log_warn("match %s: names in other scripts are not "
				 "romanised (ICU's transliterator: %s): they "
				 "compare only with names in the same script",
				 md->label, translit_error());
		t1 = clock_real_ms();
		c1 = cpu_ms();
		find_pairs(md, &p);
		t2 = clock_real_ms();
		c2 = cpu_ms();
		rc = resolve(md, &cs, &p, &l, &ua, ua_path,
			     &res->corrections_unapplied, err);
		if (rc == 0)
			rc = write_outputs(md, &p, &l, st, rate, hist, sr, err);
		if (rc == 0)
			rc = write_blocking(md, &p, blk, err);
		log_debug("match %s: read and normalised in %lld ms (cpu %lld "
			  "ms), pairs scored in %lld ms (cpu %lld ms), resolved "
			  "and written in %lld ms (cpu %lld ms)", md->label,
			  (long long)(t1 - t0), (long long)(c1 - c0),
			  (long long)(t2 - t1), (long long)(c2 - c1),
			  (long long)(clock_real_ms() - t2),
			  (long long)(cpu_ms() - c2));
		log_debug("match %s: %llu of the pairs ruled out by their "
			  "sketches (candidate floor %.3f)", md->label,
			  (unsigned long long)p.bounded, md->floor);
		log_debug("match %s: the bound's %s copy", md->label,
			  pair_bound_of() == pair_bound_generic ? "generic" :
			  "POPCNT");
		sr->crm_records = md->crm.n;
		sr->crm_skipped = md->skipped;
		sr->profiles = md->dir.n;
		sr->pairs = p.scored;
		log_info("match %s: %zu CRM records, %zu profiles, %llu pairs "
			 "scored (reduction ratio %.6f), %llu links (%llu "
			 "manual)", md->label, md->crm.n, md->dir.n,
			 (unsigned long long)p.scored,
			 md->crm.n && md->dir.n ? 1 - (double)p.scored /
			 ((double)md->crm.n * (double)md->dir.n) : 0.0,
			 (unsigned long long)sr->links,
			 (unsigned long long)sr->manual);
		free(p.e);
		free(p.top);
		links_release(&l);
		model_release(md);
		if (rc < 0)
			goto out;
	}
	if (stage_commit_output(st, rate, "match_rate.csv.gz", "match_rate", err) < 0) {
		rate = NULL;
		goto out;
	}
	rate = NULL;
	if (stage_commit_output(st, blk, "match_blocking.csv.gz", "match_blocking",
		      err) < 0) {
		blk = NULL;
		goto out;
	}
	blk = NULL;
	if (stage_commit_output(st, hist, "match_histogram.csv.gz", "match_histogram",
		      err) < 0) {
		hist = NULL;
		goto out;
	}
	hist = NULL;
	if (rj) {
		struct csv_file_info info;

		if (csvw_commit(rj, &info, err) < 0) {
			rj = NULL;
			goto out;
		}
		rj = NULL;
		stage_add_rejects(st, "rejects/overrides.csv.gz",
				  "staged/rejects", &info);
	}
	if (ua) {
		struct csv_file_info info;

		if (csvw_commit(ua, &info, err) < 0) {
			ua = NULL;
			goto out;
		}
		ua = NULL;
		stage_add_output(st, "unapplied_corrections.csv.gz",
				 "staged/unapplied_corrections", &info);
	}
	if (stage_commit(st, err) < 0) {
		st = NULL;
		goto out;
	}
	st = NULL;
	/* corrections persist for every later run (R22) */
	if (corrections_save(saved, &cs, err) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0 && err && !strstr(err->msg, "match"))
		err_prefix(err, "match");
	csvw_abort(rate);
	csvw_abort(hist);
	csvw_abort(blk);
	csvw_abort(rj);
	csvw_abort(ua);
	stage_abandon(st);
	model_release(&models[0]);
	model_release(&models[1]);
	corrections_release(&cs);
	free(rj_path);
	free(ua_path);
	free(saved);
	free(state);
	return ret;
}

/* ---- explain ------------------------------------------------------------------ */

/* A record of either side whose Id is `id`, or -1. */
static long find_id(const struct side *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->r[i].id, id) == 0)
			return (long)i;
	return -1;
}

/* Blocking rules `a` and `b` share, as "[email], [phone]" (or "none"). */
static void shared_rules(const struct model *md, const struct rec *a,
			 const struct rec *b, struct strbuf *out)
{
	struct strbuf rule_name = STRBUF_INIT;

	strbuf_reset(out);
	for (size_t rule = 0; rule < md->m->nblocking; rule++) {
		uint64_t h = rule_hash(md, rule, b);
		int crossed = 0;

		if (!h)
			continue;
		if (h != rule_hash(md, rule, a)) {
			if (!md->crossed[rule] ||
			    h != rule_hash_as(md, rule, a, 1))
				continue;
			crossed = 1;
		}
		rule_text(md, rule, &rule_name);
		strbuf_addf(out, "%s[%s]%s", out->len ? ", " : "",
			    rule_name.buf, crossed ? " on the names crossed" :
			    "");
	}
	if (!out->len)
		strbuf_addstr(out, "none (never scored by the stage)");
	strbuf_release(&rule_name);
}

static void explain_pair(FILE *out, const struct model *md,
			 const struct pairs *p, const struct links *l,
			 uint32_t c, uint32_t d, struct strbuf *sb)
{
	const struct rec *a = &md->crm.r[c], *b = &md->dir.r[d];
	double w[NF_MAX], sim[NF_MAX], total;
	char buf[160];
	int lvl[NF_MAX], swapped;

	shared_rules(md, a, b, sb);
	total = pair_weights(md, a, b, w, sim, lvl, &swapped);
	fprintf(out, "  %s %s ~ %s\n    blocking rules shared: %s\n",
		md->m->objects[a->obj], a->id, b->id, sb->buf);
	if (swapped)
		fprintf(out, "    (first and last names compared crossed: "
			"they score better that way)\n");
	for (size_t i = 0; i < md->m->ncomparisons; i++) {
		const struct match_comparison *cmp = &md->m->comparisons[i];
		size_t f = cmp->field_index;
		const char *x = a->v[f], *y = b->v[f];

		if ((int)f == md->email_field) {
			x = x ? x : a->hash ? "(hash)" : NULL;
			y = y ? y : b->hash ? "(hash)" : NULL;
		}
		fprintf(out, "    %-16s %-28.28s %-28.28s ", cmp->field,
			x ? x : "-", y ? y : "-");
		if (sim[i] < 0)
			fprintf(out, "%-11s %+8.3f\n", x && y ?
				"not compar." : "missing", w[i]);
		else if (cmp->implied_by && lvl[i] == LEVEL_MISSING &&
			 lvl[cmp->implied_by - 1] == 0)
			fprintf(out, "sim %6.3f  %+8.3f  (%s agrees: counts as "
				"missing)\n", sim[i], w[i],
				md->m->comparisons[cmp->implied_by - 1].field);
		else if (!((meta_of(&md->crm, a)[f] |
			    meta_of(&md->dir, b)[f]) & META_ROMAN) ||
			 (int)f == md->email_field)
			fprintf(out, "sim %6.3f  %+8.3f\n", sim[i], w[i]);
		else
			fprintf(out, "sim %6.3f  %+8.3f  (romanised%s)\n",
				sim[i], w[i], lvl[i] == LEVEL_MISSING ?
				": differing counts as missing" : "");
	}
	fprintf(out, "    %-16s %-57s             %+8.3f\n", "prior",
		md->m->prior == PRIOR_NONE ? "none" : md->m->prior ==
		PRIOR_AUTO ? "auto: 1 / the larger side's records" :
		"as given", md->prior);
	if (has_rivals(md, &p->top[c], d)) {
		double rivals = rivals_weight(md, &p->top[c], d);

		fprintf(out, "    %-16s %-57s             %+8.3f\n", "rivals",
			"the record's other candidates", rivals);
		total += rivals;
	}
	fprintf(out, "    score %.3f (threshold %.3f): %s\n", total,
		md->m->threshold,
		outcome(md, l, c, d, total, buf, sizeof(buf)));
}

int match_explain(const struct job *job, const char *crm_id,
		  const char *target_id, FILE *out, struct err *err)
{
	const struct job_settings *set = job->settings;
	struct corrections cs = { NULL, 0, 0 };
	struct csv_writer *rj = NULL;
	struct strbuf sb = STRBUF_INIT;
	char *state = job_state_dir(job);
	char *saved = xasprintf("%s/overrides.csv", state);
	char *rj_path = xasprintf("%s/.explain-rejects.csv.gz", state);
	uint64_t rejected = 0;
	int ret = -1, found = 0;

	if (fs_exists(saved) &&
	    load_corrections(saved, &cs, &rj, rj_path, &rejected, err) < 0)
		goto out;
	if (job->directory.overrides &&
	    load_corrections(job->directory.overrides, &cs, &rj, rj_path,
			     &rejected, err) < 0)
		goto out;
	corrections_dedupe(&cs);
	for (int i = 0; i < 2 && !found; i++) {
		const struct match_model *m = i ? &set->accounts : &set->people;
		struct model md;
		struct pairs p;
		struct links l;
		long c = -1, d = -1;

		if (!m->enabled)
			continue;
		model_init(&md, m, i ? "accounts" : "people");
		memset(&p, 0, sizeof(p));
		memset(&l, 0, sizeof(l));
		if (load_model(job, &md, i ? job->directory.companies :
			       job->directory.members, NULL, err) < 0) {
			model_release(&md);
			goto out;
		}
		if (crm_id)
			c = find_id(&md.crm, crm_id);
		if (target_id)
			d = find_id(&md.dir, target_id);
		if ((crm_id && c < 0) || (target_id && d < 0)) {
			model_release(&md);
			continue;
		}
		found = 1;
		find_pairs(&md, &p);
		if (resolve(&md, &cs, &p, &l, &rj, rj_path, &rejected,
			    err) == 0) {
			if (c >= 0 && d < 0) {
				const struct top *t = &p.top[c];

				fprintf(out, "%s %s: %u candidate%s\n",
					m->objects[md.crm.r[c].obj], crm_id,
					t->n, t->n == 1 ? "" : "s");
				if (l.crm_to[c] && l.manual[c])
					fprintf(out, "  linked by a manual "
						"correction to %s\n",
						md.dir.r[l.crm_to[c] - 1].id);
				for (unsigned k = 0; k < t->n; k++)
					explain_pair(out, &md, &p, &l,
						     (uint32_t)c, t->dir[k],
						     &sb);
			} else if (c >= 0) {
				explain_pair(out, &md, &p, &l, (uint32_t)c,
					     (uint32_t)d, &sb);
			} else {
				size_t n = 0;

				fprintf(out, "%s %s:\n",
					m->objects[m->ncrm], target_id);
				/* every CRM record it is a top candidate
				 * of, linked or not */
				for (size_t k = 0; k < md.crm.n; k++)
					for (unsigned j = 0; j < p.top[k].n; j++)
						if (p.top[k].dir[j] ==
						    (uint32_t)d) {
							explain_pair(out, &md,
								     &p, &l,
								     (uint32_t)k,
								     (uint32_t)d,
								     &sb);
							n++;
						}
				if (l.dir_to[d] && l.manual[l.dir_to[d] - 1])
					fprintf(out, "  linked by a manual "
						"correction to %s\n",
						md.crm.r[l.dir_to[d] - 1].id);
				if (!n)
					fprintf(out, "  not a candidate of "
						"any CRM record: no pair with "
						"it scores at least the "
						"candidate floor (%.3f)\n",
						md.floor);
			}
			ret = 0;
		}
		free(p.e);
		free(p.top);
		links_release(&l);
		model_release(&md);
		if (ret < 0)
			goto out;
	}
	if (!found)
		err_set(err, ERR_NOINPUT, "no CRM record '%s' or profile '%s' "
			"in the job's mirror and directory inputs",
			crm_id ? crm_id : "-", target_id ? target_id : "-");
out:
	csvw_abort(rj);
	strbuf_release(&sb);
	corrections_release(&cs);
	free(rj_path);
	free(saved);
	free(state);
	return found ? ret : -1;
}

/* ---- training (crmsync train) ------------------------------------------------- */

#define TRAIN_MAX_CODES 16

/* A deterministic 64-bit generator (splitmix64). */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The level codes of comparison i, 1 (else) .. 1 + nlevels. */
static unsigned ncodes(const struct match_comparison *c)
{
	return 2 + (unsigned)c->nlevels;
}

/* Prints probability `v` compactly but exactly enough to paste. */
static void print_prob(FILE *out, const char *name, double v)
{
	fprintf(out, "%s: %.6g", name, v < 1e-12 ? 1e-12 : v > 1 ? 1 : v);
}

/* The m EM starts from for level code k of `c`: the job's, when its
 * levels give m and u, else 0.9 for the strictest level. */
static double initial_m(const struct match_comparison *c, unsigned k)
{
	double given = 0;

	for (size_t l = 0; l < c->nlevels; l++)
		given += c->levels[l].m;
	if (given > 0 && given < 1)
		return k == 1 ? 1 - given : c->levels[k - 2].m > 0 ?
		       c->levels[k - 2].m : 1e-3;
	return k == 2 ? 0.9 : 0.1 / (ncodes(c) - 2);
}

/*
 * Expectation-maximisation over the patterns `pt` of blocked pairs, the
 * comparisons flagged in `skip` left out: fills est[i][code] with m and
 * *found with the estimated matches; returns the rounds run.  The
 * non-matches' distribution among blocked pairs is estimated alongside
 * (starting from the random pairs' `u`) and dropped: blocking makes it
 * unlike u.  m starts from the job's m where the job gives m and u.
 */
static unsigned em_run(const struct model *md, const struct patterns *pt,
		       const unsigned char *skip,
		       double u[][TRAIN_MAX_CODES], unsigned rounds,
		       double est[][TRAIN_MAX_CODES], double *found)
{
	const struct match_model *m = md->m;
	size_t nc = m->ncomparisons;
	double ub[NF_MAX][TRAIN_MAX_CODES], lambda = 0.1, total = 0;
	unsigned iter;

	for (size_t i = 0; i < nc; i++) {
		for (unsigned k = 1; k < ncodes(&m->comparisons[i]); k++) {
			est[i][k] = initial_m(&m->comparisons[i], k);
			ub[i][k] = u[i][k];
		}
	}
	for (size_t s = 0; s < pt->cap; s++)
		total += (double)pt->count[s];
	*found = 0;
	for (iter = 0; iter < rounds && total > 0; iter++) {
		double acc[NF_MAX][TRAIN_MAX_CODES], seen[NF_MAX];
		double uacc[NF_MAX][TRAIN_MAX_CODES], useen[NF_MAX];
		double next_lambda, change = 0, matches = 0;

		memset(acc, 0, sizeof(acc));
		memset(seen, 0, sizeof(seen));
		memset(uacc, 0, sizeof(uacc));
		memset(useen, 0, sizeof(useen));
		for (size_t s = 0; s < pt->cap; s++) {
			double lm = log(lambda), lu = log(1 - lambda), pm, pu;

			if (!pt->key[s])
				continue;
			for (size_t i = 0; i < nc; i++) {
				unsigned k = (unsigned)(pt->key[s] >> (4 * i)) & 15;

				if (!k || skip[i])
					continue;
				lm += log(est[i][k]);
				lu += log(ub[i][k]);
			}
			pm = 1 / (1 + exp(lu - lm)) * (double)pt->count[s];
			pu = (double)pt->count[s] - pm;
			matches += pm;
			for (size_t i = 0; i < nc; i++) {
				unsigned k = (unsigned)(pt->key[s] >> (4 * i)) & 15;

				if (!k || skip[i])
					continue;
				acc[i][k] += pm;
				seen[i] += pm;
				uacc[i][k] += pu;
				useen[i] += pu;
			}
		}
		for (size_t i = 0; i < nc; i++) {
			const struct match_comparison *c = &m->comparisons[i];
			unsigned nk = ncodes(c) - 1;

			if (skip[i])
				continue;
			for (unsigned k = 1; k < ncodes(c); k++) {
				double v = seen[i] > 0 ?
					   (acc[i][k] + 1e-6) /
					   (seen[i] + 1e-6 * nk) : est[i][k];
				double w = useen[i] > 0 ?
					   (uacc[i][k] + 1e-6) /
					   (useen[i] + 1e-6 * nk) : ub[i][k];

				change += fabs(v - est[i][k]);
				est[i][k] = v;
				ub[i][k] = w;
			}
		}
		next_lambda = matches / total;
		if (next_lambda < 1e-9)
			next_lambda = 1e-9;
		if (next_lambda > 1 - 1e-9)
			next_lambda = 1 - 1e-9;
		change += fabs(next_lambda - lambda);
		lambda = next_lambda;
		*found = matches;
		if (change < 1e-7)
			break;
	}
	return iter;
}

/* Estimates one model's m and u (see match_train()) and prints the
 * comparisons section. */
/*
 * m from confident pairs: for each comparison, the distribution of its
 * levels among the blocked pairs that the job's weights rate at least
 * TRAIN_CONFIDENT_BITS (odds of 1000 to 1) without that comparison (and
 * without its train_without, a comparison that changes with it).
 * The pairs are chosen without looking at it, so its levels there are
 * those of matches (Splink leaves a rule's fields out of EM for the same
 * reason); it needs a model that already tells matches apart, which the
 * hand-set weights of a job do.  Term frequencies and rivals are left
 * out of the scores.  Fills mm[i][code] (add-half smoothed; a
 * comparison no pair is sure without keeps initial_m()) and returns the
 * number of pairs the full scores are sure of, an estimate of the
 * matches.
 */
#define TRAIN_CONFIDENT_BITS 10

static double level_weight_of(const struct match_comparison *c,
			      unsigned code)
{
	return code == 0 ? c->missing_weight : code == 1 ? c->else_weight :
	       c->levels[code - 2].weight;
}

static double m_from_confident(const struct model *md,
			       const struct patterns *pt,
			       double mm[NF_MAX][TRAIN_MAX_CODES])
{
	const struct match_model *m = md->m;
	size_t nc = m->ncomparisons;
	double count[NF_MAX][TRAIN_MAX_CODES], sure = 0;

	memset(count, 0, sizeof(count));
	for (size_t r = 0; r < m->nblocking; r++) {
		for (size_t s = 0; s < pt[r].cap; s++) {
			uint64_t key = pt[r].key[s];
			unsigned code[NF_MAX];
			double score = md->prior;

			if (!key)
				continue;
			for (size_t i = 0; i < nc; i++) {
				code[i] = (unsigned)(key >> (4 * i)) & 15;
				score += level_weight_of(&m->comparisons[i],
							 code[i]);
			}
			if (score >= TRAIN_CONFIDENT_BITS)
				sure += (double)pt[r].count[s];
			for (size_t i = 0; i < nc; i++) {
				const struct match_comparison *c =
					&m->comparisons[i];
				size_t j = c->train_without;
				double without = score -
						 level_weight_of(c, code[i]);

				if (j)
					without -= level_weight_of(
						&m->comparisons[j - 1],
						code[j - 1]);
				if (code[i] && without >= TRAIN_CONFIDENT_BITS)
					count[i][code[i]] +=
						(double)pt[r].count[s];
			}
		}
	}
	for (size_t i = 0; i < nc; i++) {
		const struct match_comparison *c = &m->comparisons[i];
		unsigned n = ncodes(c);
		double seen = 0;

		for (unsigned k = 1; k < n; k++)
			seen += count[i][k];
		for (unsigned k = 1; k < n; k++)
			mm[i][k] = seen > 0 ? (count[i][k] + 0.5) /
					      (seen + 0.5 * (n - 1)) :
					      initial_m(c, k);
	}
	return sure;
}

static void train_model(struct model *md, const struct train_options *o,
			FILE *out)
{
	const struct match_model *m = md->m;
	size_t nc = m->ncomparisons;
	double u[NF_MAX][TRAIN_MAX_CODES], mm[NF_MAX][TRAIN_MAX_CODES];
	double msum[NF_MAX][TRAIN_MAX_CODES], mweight[NF_MAX], matches = 0;
	uint64_t state = o->seed, sample = 0, blocked = 0;
	struct patterns *pt;
	struct pairs p;
	struct strbuf rule_name = STRBUF_INIT;
	unsigned iter = 0;

	/* u: the levels' frequencies among random pairs, nearly all of
	 * which are non-matches */
	memset(u, 0, sizeof(u));
	for (uint64_t k = 0; k < o->sample && md->crm.n && md->dir.n; k++) {
		const struct rec *a = &md->crm.r[next_random(&state) % md->crm.n];
		const struct rec *b = &md->dir.r[next_random(&state) % md->dir.n];
		double w[NF_MAX], sim[NF_MAX];
		int lvl[NF_MAX], swapped;

		pair_weights(md, a, b, w, sim, lvl, &swapped);
		for (size_t i = 0; i < nc; i++)
			u[i][level_code(lvl[i])] += 1;
		sample++;
	}
	for (size_t i = 0; i < nc; i++) {
		double seen = 0;

		for (unsigned k = 1; k < ncodes(&m->comparisons[i]); k++)
			seen += u[i][k];
		/* add-half smoothing: a level never seen at random is rare,
		 * not impossible */
		for (unsigned k = 1; k < ncodes(&m->comparisons[i]); k++)
			u[i][k] = (u[i][k] + 0.5) /
				  (seen + 0.5 * (ncodes(&m->comparisons[i]) - 1));
	}

	memset(&p, 0, sizeof(p));
	p.patterns = pt = xcalloc(m->nblocking, sizeof(*pt));
	find_pairs(md, &p);
	memset(msum, 0, sizeof(msum));
	memset(mweight, 0, sizeof(mweight));
	if (o->m_from == TRAIN_M_CONFIDENT) {
		for (size_t r = 0; r < m->nblocking; r++)
			for (size_t s = 0; s < pt[r].cap; s++)
				blocked += pt[r].count[s];
		matches = m_from_confident(md, pt, mm);
		fprintf(out, "# m from the blocked pairs scoring %d or more "
			"without the comparison estimated\n",
			TRAIN_CONFIDENT_BITS);
		goto print;
	}
	/*
	 * m: EM over the blocked pairs, once per blocking rule on the pairs
	 * it found first, leaving out the comparisons of the rule's own
	 * fields (they agree by construction there), as Splink trains.  Each
	 * comparison's m is the average of its estimates, weighted by the
	 * share of matches each session found among its pairs (a rule that
	 * pairs mostly non-matches gives the least reliable estimate).
	 */
	for (size_t r = 0; r < m->nblocking; r++) {
		const struct match_blocking *bk = &m->blocking[r];
		unsigned char skip[NF_MAX] = { 0 };
		double est[NF_MAX][TRAIN_MAX_CODES], found = 0;
		uint64_t pairs = 0;
		unsigned it;

		for (size_t i = 0; i < nc; i++)
			for (size_t k = 0; k < bk->nkeys; k++)
				if (bk->keys[k] == m->comparisons[i].field_index)
					skip[i] = 1;
		for (size_t s = 0; s < pt[r].cap; s++)
			pairs += pt[r].count[s];
		blocked += pairs;
		if (!pairs)
			continue;
		it = em_run(md, &pt[r], skip, u, o->iterations, est, &found);
		iter = it > iter ? it : iter;
		matches += found;
		rule_text(md, r, &rule_name);
		fprintf(out, "# rule [%s]: %llu pairs, %.0f estimated matches "
			"(%u EM rounds)\n", rule_name.buf,
			(unsigned long long)pairs, found, it);
		for (size_t i = 0; i < nc; i++) {
			if (skip[i])
				continue;
			for (unsigned k = 1; k < ncodes(&m->comparisons[i]); k++)
				msum[i][k] += est[i][k] * found / (double)pairs;
			mweight[i] += found / (double)pairs;
		}
	}
	for (size_t i = 0; i < nc; i++) {
		const struct match_comparison *c = &m->comparisons[i];

		for (unsigned k = 1; k < ncodes(c); k++)
			mm[i][k] = mweight[i] > 0 ? msum[i][k] / mweight[i] :
				   initial_m(c, k);
	}

print:
	fprintf(out, "# crmsync train: match.%s, %llu random pairs for u, "
		"%llu blocked pairs for m, %u EM iterations\n", md->label,
		(unsigned long long)sample, (unsigned long long)blocked, iter);
	fprintf(out, "# estimated matches among the blocked pairs: %.0f "
		"(%.4g of them); probability that two records match: %.4g "
		"(prior: auto takes %.4g)\n", matches,
		blocked ? matches / (double)blocked : 0.0,
		md->crm.n && md->dir.n ? matches / ((double)md->crm.n *
						     (double)md->dir.n) : 0.0,
		pow(2, md->prior) / (1 + pow(2, md->prior)));
	fprintf(out, "match:\n  %s:\n    comparisons:\n", md->label);
	for (size_t i = 0; i < nc; i++) {
		const struct match_comparison *c = &m->comparisons[i];
		static const char *const methods[] = { "exact", "jaro_winkler",
			"levenshtein", "token_set", "phonetic", "email",
			"phone" };

		fprintf(out, "      %s:\n        method: %s\n", c->field,
			methods[c->method]);
		if (c->term_frequency)
			fprintf(out, "        term_frequency: true\n");
		if (c->tf_given)
			fprintf(out, "        term_frequency_given: %s\n",
				m->comparisons[c->tf_given - 1].field);
		if (c->implied_by)
			fprintf(out, "        implied_by: %s\n",
				m->comparisons[c->implied_by - 1].field);
		if (c->train_without)
			fprintf(out, "        train_without: %s\n",
				m->comparisons[c->train_without - 1].field);
		fprintf(out, "        levels:\n");
		for (size_t l = 0; l < c->nlevels; l++) {
			if (c->method == MM_LEVENSHTEIN)
				fprintf(out, "          - {max_distance: %ld, ",
					c->levels[l].max_distance);
			else
				fprintf(out, "          - {min: %g, ",
					c->levels[l].min);
			print_prob(out, "m", mm[i][2 + l]);
			fputs(", ", out);
			print_prob(out, "u", u[i][2 + l]);
			fputs("}\n", out);
		}
		fputs("        else: {", out);
		print_prob(out, "m", mm[i][1]);
		fputs(", ", out);
		print_prob(out, "u", u[i][1]);
		fputs("}\n", out);
		if (c->missing_weight != 0)
			fprintf(out, "        missing: %g\n", c->missing_weight);
	}
	free(p.e);
	free(p.top);
	for (size_t r = 0; r < m->nblocking; r++)
		patterns_release(&pt[r]);
	free(pt);
	strbuf_release(&rule_name);
}

int match_train(const struct job *job, const struct train_options *o,
		FILE *out, struct err *err)
{
	const struct job_settings *set = job->settings;
	int ret = -1, done = 0;

	for (int i = 0; i < 2; i++) {
		const struct match_model *m = i ? &set->accounts : &set->people;
		const char *label = i ? "accounts" : "people";
		struct model md;

		if (!m->enabled || (o->model && strcmp(o->model, label)))
			continue;
		if (m->ncomparisons > 15) {
			/* a pattern packs 4 bits per comparison under a
			 * marker bit */
			err_set(err, ERR_CONFIG, "%s: match.%s has %zu "
				"comparisons; train handles at most 15",
				job->path, label, m->ncomparisons);
			goto out;
		}
		for (size_t c = 0; c < m->ncomparisons; c++) {
			if (m->comparisons[c].nlevels + 2 > TRAIN_MAX_CODES) {
				err_set(err, ERR_CONFIG, "%s: match.%s.comparisons."
					"%s has %zu levels; train handles at "
					"most %d", job->path, label,
					m->comparisons[c].field,
					m->comparisons[c].nlevels,
					TRAIN_MAX_CODES - 2);
				goto out;
			}
		}
		model_init(&md, m, label);
		if (load_model(job, &md, i ? job->directory.companies :
			       job->directory.members, NULL, err) < 0) {
			model_release(&md);
			goto out;
		}
		if (done)
			fputc('\n', out);
		train_model(&md, o, out);
		model_release(&md);
		done = 1;
	}
	if (!done) {
		err_set(err, ERR_CONFIG, "%s: no match model%s%s to train",
			job->path, o->model ? " named " : "",
			o->model ? o->model : "");
		goto out;
	}
	ret = 0;
out:
	return ret;
}
