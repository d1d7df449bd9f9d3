/*
 * metaphone.mjs - the primary Double Metaphone code of crmsync's
 * sim_phonetic() (etl/sim.c), line for line, for the DuckDB peer's
 * phonetic blocking keys ("last_name:phonetic"): DuckDB has no phonetic
 * function, and Splink's users compute such keys before the SQL too.
 * The peer calls it once per distinct folded name.
 *
 *	dmPrimary('schmidt') === 'XMT'
 *
 * The input is a folded value (norm_fold output); only its ASCII letters
 * and spaces count.  Returns at most 4 characters, '' when the value has
 * no Latin letter.  This function can't fail.
 */
const DM_MAX = 64;      /* letters coded */
const CODE_LEN = 4;     /* SIM_PHONETIC_LEN */

export function dmPrimary(src) {
	let s = '';
	for (let i = 0; i < src.length && s.length < DM_MAX; i++) {
		let ch = src[i];

		if (ch >= 'a' && ch <= 'z')
			ch = ch.toUpperCase();
		if (ch >= 'A' && ch <= 'Z')
			s += ch;
		else if (ch === ' ' && s.length && s[s.length - 1] !== ' ')
			s += ' ';
	}
	s = s.replace(/ +$/, '');
	const len = s.length;
	const slavo = s.includes('W') || s.includes('K') || s.includes('CZ') ||
		s.includes('WITZ');
	let code = '';

	const add = (x) => {
		for (let k = 0; k < x.length && code.length < CODE_LEN; k++)
			code += x[k];
	};
	const at = (pos, ...list) => pos >= 0 &&
		list.some((w) => pos + w.length <= len &&
			   s.substr(pos, w.length) === w);
	const vowel = (pos) => pos >= 0 && pos < len && 'AEIOUY'.includes(s[pos]);
	const chr = (pos) => (pos >= 0 && pos < len ? s[pos] : '');

	/* the letter C at `c`; returns the next position */
	const letterC = (c) => {
		if (c > 1 && !vowel(c - 2) && at(c - 1, 'ACH') &&
		    chr(c + 2) !== 'I' &&
		    (chr(c + 2) !== 'E' || at(c - 2, 'BACHER', 'MACHER'))) {
			add('K');
			return c + 2;
		}
		if (c === 0 && at(c, 'CAESAR')) {
			add('S');
			return c + 2;
		}
		if (at(c, 'CHIA')) {
			add('K');
			return c + 2;
		}
		if (at(c, 'CH')) {
			if (c > 0 && at(c, 'CHAE')) {
				add('K');
			} else if (c === 0 && (at(c + 1, 'HARAC', 'HARIS') ||
					       at(c + 1, 'HOR', 'HYM', 'HIA', 'HEM')) &&
				   !at(0, 'CHORE')) {
				add('K');
			} else if (at(0, 'VAN ', 'VON ', 'SCH') ||
				   at(c - 2, 'ORCHES', 'ARCHIT', 'ORCHID') ||
				   at(c + 2, 'T', 'S') ||
				   ((c === 0 || at(c - 1, 'A', 'O', 'U', 'E')) &&
				    (at(c + 2, 'L', 'R', 'N', 'M', 'B', 'H', 'F', 'V',
					'W', ' ') || c + 2 >= len))) {
				add('K');
			} else if (c > 0 && at(0, 'MC')) {
				add('K');
			} else {
				add('X');
			}
			return c + 2;
		}
		if (at(c, 'CZ') && !at(c - 2, 'WICZ')) {
			add('S');
			return c + 2;
		}
		if (at(c + 1, 'CIA')) {
			add('X');
			return c + 3;
		}
		if (at(c, 'CC') && !(c === 1 && chr(0) === 'M')) {
			if (at(c + 2, 'I', 'E', 'H') && !at(c + 2, 'HU')) {
				if ((c === 1 && chr(0) === 'A') ||
				    at(c - 1, 'UCCEE', 'UCCES'))
					add('KS');
				else
					add('X');
				return c + 3;
			}
			add('K');
			return c + 2;
		}
		if (at(c, 'CK', 'CG', 'CQ')) {
			add('K');
			return c + 2;
		}
		if (at(c, 'CI', 'CE', 'CY')) {
			add('S');
			return c + 2;
		}
		add('K');
		if (at(c + 1, ' C', ' Q', ' G'))
			return c + 3;
		if (at(c + 1, 'C', 'K', 'Q') && !at(c + 1, 'CE', 'CI'))
			return c + 2;
		return c + 1;
	};

	/* the letter G at `c` */
	const letterG = (c) => {
		const next = chr(c + 1);

		if (next === 'H') {
			if (c > 0 && !vowel(c - 1)) {
				add('K');
			} else if (c === 0) {
				add(chr(c + 2) === 'I' ? 'J' : 'K');
			} else if ((c > 1 && at(c - 2, 'B', 'H', 'D')) ||
				   (c > 2 && at(c - 3, 'B', 'H', 'D')) ||
				   (c > 3 && at(c - 4, 'B', 'H'))) {
				/* silent: "hugh", "bough" */
			} else if (c > 2 && chr(c - 1) === 'U' &&
				   at(c - 3, 'C', 'G', 'L', 'R', 'T')) {
				add('F'); /* "laugh", "tough" */
			} else if (c > 0 && chr(c - 1) !== 'I') {
				add('K');
			}
			return c + 2;
		}
		if (next === 'N') {
			if (c === 1 && vowel(0) && !slavo)
				add('KN');
			else if (!at(c + 2, 'EY') && chr(c + 1) !== 'Y' && !slavo)
				add('N');
			else
				add('KN');
			return c + 2;
		}
		if (at(c + 1, 'LI') && !slavo) {
			add('KL');
			return c + 2;
		}
		if (c === 0 && (next === 'Y' ||
				at(c + 1, 'ES', 'EP', 'EB', 'EL', 'EY', 'IB', 'IL',
				   'IN', 'IE', 'EI', 'ER'))) {
			add('K');
			return c + 2;
		}
		if ((at(c + 1, 'ER') || next === 'Y') &&
		    !at(0, 'DANGER', 'RANGER', 'MANGER') && !at(c - 1, 'E', 'I') &&
		    !at(c - 1, 'RGY', 'OGY')) {
			add('K');
			return c + 2;
		}
		if (at(c + 1, 'E', 'I', 'Y') || at(c - 1, 'AGGI', 'OGGI')) {
			if (at(0, 'VAN ', 'VON ', 'SCH') || at(c + 1, 'ET'))
				add('K');
			else
				add('J');
			return c + 2;
		}
		add('K');
		return next === 'G' ? c + 2 : c + 1;
	};

	/* the letter S at `c` */
	const letterS = (c) => {
		if (at(c - 1, 'ISL', 'YSL'))
			return c + 1; /* "island", "carlisle" */
		if (c === 0 && at(c, 'SUGAR')) {
			add('X');
			return c + 1;
		}
		if (at(c, 'SH')) {
			add(at(c + 1, 'HEIM', 'HOEK', 'HOLM', 'HOLZ') ? 'S' : 'X');
			return c + 2;
		}
		if (at(c, 'SIO', 'SIA')) {
			add('S');
			return c + 3;
		}
		if ((c === 0 && at(c + 1, 'M', 'N', 'L', 'W')) || at(c + 1, 'Z')) {
			add('S');
			return at(c + 1, 'Z') ? c + 2 : c + 1;
		}
		if (at(c, 'SC')) {
			if (chr(c + 2) === 'H') {
				if (at(c + 3, 'OO', 'ER', 'EN', 'UY', 'ED', 'EM'))
					add(at(c + 3, 'ER', 'EN') ? 'X' : 'SK');
				else
					add('X');
				return c + 3;
			}
			add(at(c + 2, 'I', 'E', 'Y') ? 'S' : 'SK');
			return c + 3;
		}
		if (c === len - 1 && at(c - 2, 'AI', 'OI'))
			return c + 1; /* French "-ais", "-ois": silent */
		add('S');
		return at(c + 1, 'S', 'Z') ? c + 2 : c + 1;
	};

	/* one letter at `c`; returns the next position */
	const step = (c) => {
		const next = chr(c + 1);
		const last = len - 1;

		switch (s[c]) {
		case 'A': case 'E': case 'I': case 'O': case 'U': case 'Y':
			if (c === 0)
				add('A');
			return c + 1;
		case 'B':
			add('P');
			return next === 'B' ? c + 2 : c + 1;
		case 'C':
			return letterC(c);
		case 'D':
			if (at(c, 'DG')) {
				if (at(c + 2, 'I', 'E', 'Y')) {
					add('J');
					return c + 3;
				}
				add('TK');
				return c + 2;
			}
			add('T');
			return at(c, 'DT', 'DD') ? c + 2 : c + 1;
		case 'F':
			add('F');
			return next === 'F' ? c + 2 : c + 1;
		case 'G':
			return letterG(c);
		case 'H':
			if ((c === 0 || vowel(c - 1)) && vowel(c + 1)) {
				add('H');
				return c + 2;
			}
			return c + 1;
		case 'J':
			if (at(c, 'JOSE') || at(0, 'SAN ')) {
				if ((c === 0 && (c + 4 >= len || chr(c + 4) === ' ')) ||
				    at(0, 'SAN '))
					add('H');
				else
					add('J');
				return c + 1;
			}
			if (c === 0 ||
			    (vowel(c - 1) && !slavo && (next === 'A' || next === 'O')) ||
			    c === last ||
			    (!at(c + 1, 'L', 'T', 'K', 'S', 'N', 'M', 'B', 'Z') &&
			     !at(c - 1, 'S', 'K', 'L')))
				add('J');
			return next === 'J' ? c + 2 : c + 1;
		case 'K':
			add('K');
			return next === 'K' ? c + 2 : c + 1;
		case 'L':
			add('L');
			return next === 'L' ? c + 2 : c + 1;
		case 'M':
			add('M');
			if ((at(c - 1, 'UMB') && (c + 1 === last || at(c + 2, 'ER'))) ||
			    next === 'M')
				return c + 2;
			return c + 1;
		case 'N':
			add('N');
			return next === 'N' ? c + 2 : c + 1;
		case 'P':
			if (next === 'H') {
				add('F');
				return c + 2;
			}
			add('P');
			return at(c + 1, 'P', 'B') ? c + 2 : c + 1;
		case 'Q':
			add('K');
			return next === 'Q' ? c + 2 : c + 1;
		case 'R':
			if (!(c === last && !slavo && at(c - 2, 'IE') &&
			      !at(c - 4, 'ME', 'MA')))
				add('R'); /* else French "-ier": silent */
			return next === 'R' ? c + 2 : c + 1;
		case 'S':
			return letterS(c);
		case 'T':
			if (at(c, 'TION', 'TIA', 'TCH')) {
				add('X');
				return c + 3;
			}
			if (at(c, 'TH', 'TTH')) {
				if (at(c + 2, 'OM', 'AM') || at(0, 'VAN ', 'VON ', 'SCH'))
					add('T');
				else
					add('0');
				return c + 2;
			}
			add('T');
			return at(c + 1, 'T', 'D') ? c + 2 : c + 1;
		case 'V':
			add('F');
			return next === 'V' ? c + 2 : c + 1;
		case 'W':
			if (at(c, 'WR')) {
				add('R');
				return c + 2;
			}
			if (c === 0 && (vowel(c + 1) || at(c, 'WH')))
				add('A');
			if (at(c, 'WICZ', 'WITZ')) {
				add('TS');
				return c + 4;
			}
			return c + 1;
		case 'X':
			if (!(c === last && (at(c - 3, 'IAU', 'EAU') ||
					     at(c - 2, 'AU', 'OU'))))
				add('KS');
			return at(c + 1, 'C', 'X') ? c + 2 : c + 1;
		case 'Z':
			if (next === 'H') {
				add('J');
				return c + 2;
			}
			add('S');
			return next === 'Z' ? c + 2 : c + 1;
		default:
			return c + 1;
		}
	};

	let c = 0;
	if (at(0, 'GN', 'KN', 'PN', 'WR', 'PS'))
		c = 1;
	if (chr(0) === 'X') {
		add('S'); /* "Xavier" */
		c = 1;
	}
	while (c < len && code.length < CODE_LEN)
		c = step(c);
	return code;
}
