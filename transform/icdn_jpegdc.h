// DC-only decoding of JPEGs: the image at 1/8 of its size.
//
// At 1/8 scale each 8×8 block becomes one pixel, its mean, which is the
// block's DC coefficient over 8. libjpeg still decodes every AC
// coefficient's value to find where the next block starts, and Huffman
// decoding is most of a cold thumbnail's CPU. Here the AC coefficients are
// only skipped: one table lookup skips as many whole symbols (codes and
// magnitude bits) as have their codes in the next 12 bits, and nothing is
// stored. The scan is copied without its byte stuffing into a small
// window, so that reading bits is a plain load.
//
// 4:2:0 chroma is the exception: libjpeg scales those blocks to 2×2 pixels
// (the means of their quarters) so that no upsampling is needed, and so
// does this, from the few coefficients those means depend on.
//
// A progressive file brings its DC coefficients in the first scans, and
// libjpeg decodes every later scan into a whole-image coefficient buffer
// before it returns a row. Here only the DC scans and the 4:2:0 chroma
// bands are decoded; the other scans are stepped over, byte by byte.
//
// Only the common case is decoded here: baseline, extended or progressive
// Huffman, 8-bit, 1 or 3 components (YCbCr), sampling ratios of 1 or 2, a
// sequential file's one interleaved scan, restart markers in order, and
// data that is not truncated. Anything else answers ICDN_JDC_UNSUPPORTED
// and the caller lets libjpeg decode it, so damaged and unusual files keep
// libjpeg's behaviour.
#ifndef ICDN_JPEGDC_H
#define ICDN_JPEGDC_H

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { ICDN_JDC_OK = 0, ICDN_JDC_UNSUPPORTED = 1, ICDN_JDC_NOMEM = 2, ICDN_JDC_KILLED = 3 };

#define ICDN_JDC_LOOK 10  // bits resolved by one table lookup
#define ICDN_JDC_MULTI 12 // bits of AC codes skipped by one lookup
// The window of unstuffed scan data. A block reads at most 64 codes of 16
// bits plus 15 magnitude bits each (252 bytes) and a refill loads 8 bytes
// ahead, so an MCU of at most 12 blocks needs MARGIN bytes in the window
// (or zeros after the scan's end: PAD).
#define ICDN_JDC_WINDOW (32 << 10)
#define ICDN_JDC_MARGIN (12 * 256 + 16)
#define ICDN_JDC_PAD ICDN_JDC_MARGIN

typedef struct {
	int present;
	// look: for codes of at most LOOK bits, indexed by the next LOOK bits:
	// length << 8 | symbol. 0: a longer code.
	uint16_t look[1 << ICDN_JDC_LOOK];
	// multi (AC tables): as many symbols as have their codes in the next
	// MULTI bits, up to an end of block: their bits | advance << 5 | 1 << 12
	// when the last was the end of block. 0 when the first code is longer.
	uint16_t multi[1 << ICDN_JDC_MULTI];
	int32_t maxcode[17]; // the largest code of each length, -1 when none
	int32_t offset[17];  // symbol index of a length's code minus the code
	uint8_t symbols[256];
} icdn_jdc_huff;

typedef struct {
	int id, h, v, tq;
	int td, ta; // tables of the scan
	int pw, ph; // blocks stored: the MCU grid times the sampling factors
	// quads: chroma at half the luma's resolution both ways (4:2:0). Its
	// blocks are decoded whole and each gives 2×2 pixels, the means of its
	// quarters, as libjpeg scales them; the plane is then 2pw × 2ph.
	int quads;
	uint8_t *plane;
	// Progressive files: the DC coefficients (times 2^Al as the scans
	// refine them), and for quads the AC ones too, 64 a block by scan order.
	int32_t *dcs;
	int16_t *acs;
} icdn_jdc_comp;

typedef struct {
	const uint8_t *p, *end;
	int width, height, ncomp, hmax, vmax, restart;
	int have_quant[4];
	uint16_t quant[4][64]; // in zigzag order
	icdn_jdc_huff dc[4], ac[4];
	icdn_jdc_comp comp[3];
	int progressive;
	int ns, order[3];   // the scan's components, in order
	int ss, se, ah, al; // its spectral band and successive approximation
	int adobe_transform; // -1: no Adobe marker
} icdn_jdc;

static inline uint16_t icdn_jdc_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

// icdn_jdc_build makes a decoding table from a DHT's 16 counts and symbols.
// 0 when the counts describe an impossible code.
static int icdn_jdc_build(icdn_jdc_huff *t, const uint8_t counts[16], const uint8_t *symbols, int n, int ac) {
	int32_t code = 0;
	int k = 0;
	memset(t, 0, sizeof *t);
	memcpy(t->symbols, symbols, (size_t)n);
	for (int len = 1; len <= 16; len++) {
		int c = counts[len - 1];
		t->maxcode[len] = -1;
		if (c) {
			t->offset[len] = k - code;
			for (int i = 0; i < c; i++, k++, code++) {
				if (code >= (1 << len))
					return 0; // more codes than this length holds
				if (len <= ICDN_JDC_LOOK) {
					uint16_t e = (uint16_t)(len << 8 | symbols[k]);
					int shift = ICDN_JDC_LOOK - len;
					for (int j = 0; j < (1 << shift); j++)
						t->look[(code << shift) | j] = e;
				}
			}
			t->maxcode[len] = code - 1;
		}
		code <<= 1;
	}
	if (ac) {
		// Walk each MULTI-bit pattern symbol by symbol while the codes lie
		// inside it. The last symbol's magnitude bits may run past the
		// pattern: they are skipped, not read.
		uint8_t flen[1 << ICDN_JDC_MULTI] = {0}, fsym[1 << ICDN_JDC_MULTI];
		code = 0;
		k = 0;
		for (int len = 1; len <= ICDN_JDC_MULTI; len++, code <<= 1)
			for (int i = 0; i < counts[len - 1]; i++, k++, code++)
				for (int j = 0; j < (1 << (ICDN_JDC_MULTI - len)); j++) {
					flen[(code << (ICDN_JDC_MULTI - len)) | j] = (uint8_t)len;
					fsym[(code << (ICDN_JDC_MULTI - len)) | j] = symbols[k];
				}
		for (int i = 0; i < (1 << ICDN_JDC_MULTI); i++) {
			int pos = 0, adv = 0, eob = 0;
			while (pos < ICDN_JDC_MULTI && adv < 64) {
				int window = (i << pos) & ((1 << ICDN_JDC_MULTI) - 1);
				int len = flen[window], sym = fsym[window];
				if (len == 0 || pos + len > ICDN_JDC_MULTI)
					break;
				pos += len + (sym & 15);
				if ((sym & 15) == 0 && sym >> 4 != 15) {
					eob = 1;
					break;
				}
				adv += sym & 15 ? (sym >> 4) + 1 : 16;
			}
			t->multi[i] = pos ? (uint16_t)(pos | adv << 5 | eob << 12) : 0;
		}
	}
	t->present = 1;
	return 1;
}

// icdn_jdc_long decodes a code longer than LOOK bits from the top of w;
// its length in *len, or -1 for a code the table does not have.
static inline int icdn_jdc_long(const icdn_jdc_huff *t, uint64_t w, int *len) {
	for (int l = ICDN_JDC_LOOK + 1; l <= 16; l++) {
		int32_t c = (int32_t)(w >> (64 - l));
		if (c <= t->maxcode[l]) {
			int i = t->offset[l] + c;
			if (i < 0 || i > 255)
				return -1; // cannot happen with a canonical code; checked anyway
			*len = l;
			return t->symbols[i];
		}
	}
	return -1;
}

// icdn_jdc_bits reads unstuffed data most significant bit first. w holds
// cnt bits at its top, and the stream's next bit is byte p's first minus
// cnt; refill tops w up to at least 56 bits with one unaligned load.
typedef struct {
	const uint8_t *p;
	uint64_t w;
	unsigned cnt;
} icdn_jdc_bits;

static inline void icdn_jdc_refill(icdn_jdc_bits *b) {
	uint64_t v;
	memcpy(&v, b->p, 8);
	v = __builtin_bswap64(v);
	b->w |= v >> b->cnt;
	b->p += (63 - b->cnt) >> 3;
	b->cnt |= 56;
}

// icdn_jdc_stream is the scan's data, unstuffed into a window as the
// decoder needs it. Restart markers and the marker after the scan stop the
// unstuffing: at a restart the decoder moves on explicitly.
typedef struct {
	const uint8_t *src, *end; // the rest of the file
	uint8_t *buf;             // WINDOW + PAD bytes
	size_t len;               // unstuffed bytes in buf
	int marker;               // the marker that stopped unstuffing, or 0
	int truncated;            // the file ended inside the scan
	icdn_jdc_bits bits;
} icdn_jdc_stream;

// icdn_jdc_fill keeps the bytes from the reader's position on, and unstuffs
// more after them until the window is full or a marker stops it.
static void icdn_jdc_fill(icdn_jdc_stream *st) {
	size_t keep = 0;
	if (st->bits.p < st->buf + st->len) // else reading the zeros after a marker
		keep = st->len - (size_t)(st->bits.p - st->buf);
	memmove(st->buf, st->bits.p, keep);
	st->bits.p = st->buf;
	st->len = keep;
	while (!st->marker && !st->truncated && st->len < ICDN_JDC_WINDOW) {
		size_t room = ICDN_JDC_WINDOW - st->len, avail = (size_t)(st->end - st->src);
		size_t n = avail < room ? avail : room;
		const uint8_t *ff = memchr(st->src, 0xFF, n);
		size_t plain = ff ? (size_t)(ff - st->src) : n;
		memcpy(st->buf + st->len, st->src, plain);
		st->len += plain;
		st->src += plain;
		if (ff == NULL) {
			if (st->src == st->end)
				st->truncated = 1;
			continue;
		}
		const uint8_t *q = ff + 1;
		while (q < st->end && *q == 0xFF)
			q++; // fill bytes before a marker
		if (q == st->end) {
			st->truncated = 1;
			break;
		}
		if (*q == 0) {
			st->buf[st->len++] = 0xFF;
		} else {
			st->marker = *q;
		}
		st->src = q + 1;
	}
	memset(st->buf + st->len, 0, ICDN_JDC_PAD);
}

// icdn_jdc_overread reports whether the decoder has read past the data
// before the marker that ended its segment: bits that were not there.
static inline int icdn_jdc_overread(const icdn_jdc_stream *st) {
	// Negative right after a fill: w still holds bits of the bytes moved out.
	int64_t pos = (int64_t)(st->bits.p - st->buf) * 8 - st->bits.cnt;
	return pos > (int64_t)st->len * 8;
}

// icdn_jdc_markers reads markers from j->p up to the next SOS, whose scan
// it checks and describes in j (j->p then at the scan's data), or to EOI.
// It returns 1 for a scan, 2 for the end and 0 for a file this decoder
// leaves to libjpeg. Before the first scan (first) the frame and the
// quantisation tables come; between scans only Huffman tables, restart
// intervals and metadata may, as libjpeg latches the quantisers at the
// first scan.
static int icdn_jdc_markers(icdn_jdc *j, int first) {
	const uint8_t *p = j->p, *end = j->end;
	int have_frame = !first;
	for (;;) {
		while (p < end && *p == 0xFF && p + 1 < end && p[1] == 0xFF)
			p++; // fill bytes
		if (end - p >= 2 && p[0] == 0xFF && p[1] == 0xD9)
			return first ? 0 : 2; // EOI
		if (end - p < 4 || p[0] != 0xFF)
			return 0;
		int m = p[1];
		int len = icdn_jdc_be16(p + 2);
		if (len < 2 || end - p - 2 < len)
			return 0;
		const uint8_t *s = p + 4, *se = p + 2 + len;
		p = se;
		if (m == 0xC0 || m == 0xC1 || m == 0xC2) { // baseline, extended, progressive; Huffman
			if (have_frame || se - s < 6 || s[0] != 8)
				return 0;
			j->progressive = m == 0xC2;
			j->height = icdn_jdc_be16(s + 1);
			j->width = icdn_jdc_be16(s + 3);
			j->ncomp = s[5];
			if (j->width == 0 || j->height == 0 || (j->ncomp != 1 && j->ncomp != 3) || se - s < 6 + 3 * j->ncomp)
				return 0;
			j->hmax = j->vmax = 1;
			for (int i = 0; i < j->ncomp; i++) {
				icdn_jdc_comp *c = &j->comp[i];
				c->id = s[6 + 3 * i];
				c->h = s[7 + 3 * i] >> 4;
				c->v = s[7 + 3 * i] & 15;
				c->tq = s[8 + 3 * i];
				if (c->h < 1 || c->h > 2 || c->v < 1 || c->v > 2 || c->tq > 3)
					return 0;
				for (int k = 0; k < i; k++)
					if (j->comp[k].id == c->id)
						return 0;
				if (j->ncomp == 1)
					c->h = c->v = 1; // a single component's scan is block by block
				if (c->h > j->hmax)
					j->hmax = c->h;
				if (c->v > j->vmax)
					j->vmax = c->v;
			}
			if (j->ncomp == 3) {
				// R, G, B component ids mean RGB to libjpeg; so does an
				// Adobe marker with transform 0 (below).
				if (j->comp[0].id == 'R' && j->comp[1].id == 'G' && j->comp[2].id == 'B')
					return 0;
				// The luma must be at full resolution for the planes to
				// line up as below.
				if (j->comp[0].h != j->hmax || j->comp[0].v != j->vmax)
					return 0;
			}
			have_frame = 1;
		} else if (m >= 0xC3 && m <= 0xCF && m != 0xC4) {
			return 0; // lossless, arithmetic, hierarchical
		} else if (m == 0xDB) { // DQT
			if (!first)
				return 0;
			while (s < se) {
				int pq = s[0] >> 4, tq = s[0] & 15;
				size_t n = pq ? 129 : 65;
				if (pq > 1 || tq > 3 || (size_t)(se - s) < n)
					return 0;
				for (int i = 0; i < 64; i++)
					j->quant[tq][i] = pq ? icdn_jdc_be16(s + 1 + 2 * i) : s[1 + i];
				j->have_quant[tq] = 1;
				s += n;
			}
		} else if (m == 0xC4) { // DHT
			while (s < se) {
				if (se - s < 17)
					return 0;
				int tc = s[0] >> 4, th = s[0] & 15, n = 0;
				if (tc > 1 || th > 3)
					return 0;
				for (int i = 0; i < 16; i++)
					n += s[1 + i];
				if (n > 256 || se - s < 17 + n)
					return 0;
				// Progressive files skip no AC data symbol by symbol.
				if (!icdn_jdc_build(tc ? &j->ac[th] : &j->dc[th], s + 1, s + 17, n, tc && !j->progressive))
					return 0;
				s += 17 + n;
			}
		} else if (m == 0xDD) { // DRI
			if (se - s < 2)
				return 0;
			j->restart = icdn_jdc_be16(s);
		} else if (m == 0xEE) { // APP14, Adobe
			if (se - s >= 12 && memcmp(s, "Adobe", 5) == 0)
				j->adobe_transform = s[11];
		} else if (m == 0xDA) { // SOS
			if (!have_frame || se - s < 1)
				return 0;
			int ns = s[0];
			if (ns < 1 || ns > j->ncomp || se - s < 1 + 2 * ns + 3)
				return 0;
			const uint8_t *t = s + 1 + 2 * ns;
			j->ns = ns;
			j->ss = t[0];
			j->se = t[1];
			j->ah = t[2] >> 4;
			j->al = t[2] & 15;
			if (!j->progressive) {
				if (ns != j->ncomp || j->ss != 0 || j->se != 63 || t[2] != 0)
					return 0; // one interleaved sequential scan only
			} else if (j->ss == 0 ? j->se != 0 : (ns != 1 || j->se < j->ss || j->se > 63)) {
				return 0; // a DC scan, or an AC band of one component
			} else if (j->al > 13 || (j->ah && j->ah != j->al + 1)) {
				return 0;
			}
			int dc_first = j->ss == 0 && j->ah == 0, ac = j->ss > 0 || !j->progressive;
			for (int i = 0; i < ns; i++) {
				int id = s[1 + 2 * i], k;
				for (k = 0; k < j->ncomp && j->comp[k].id != id; k++)
					;
				if (k == j->ncomp)
					return 0;
				for (int q = 0; q < i; q++)
					if (j->order[q] == k)
						return 0;
				j->order[i] = k;
				icdn_jdc_comp *c = &j->comp[k];
				c->td = s[2 + 2 * i] >> 4;
				c->ta = s[2 + 2 * i] & 15;
				if (c->td > 3 || c->ta > 3 || (dc_first && !j->dc[c->td].present) || (ac && !j->ac[c->ta].present))
					return 0;
			}
			if (first) {
				for (int i = 0; i < j->ncomp; i++)
					if (!j->have_quant[j->comp[i].tq])
						return 0;
				if (j->ncomp == 3 && j->adobe_transform == 0)
					return 0;
			}
			j->p = se;
			return 1;
		} else if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0xDC) {
			return 0; // SOI, RSTn or DNL out of place
		}
		// APPn, COM and the rest: skipped by their length.
	}
}

// icdn_jdc_symbol decodes one code with its magnitude bits from r (just
// refilled): the symbol, and in *value the magnitude extended to a signed
// value. -1 for a code the table does not have.
static inline int icdn_jdc_symbol(icdn_jdc_bits *r, const icdn_jdc_huff *t, int *value) {
	int len, sym;
	uint16_t e = t->look[r->w >> (64 - ICDN_JDC_LOOK)];
	if (e) {
		len = e >> 8;
		sym = e & 0xFF;
	} else if ((sym = icdn_jdc_long(t, r->w, &len)) < 0) {
		return -1;
	}
	int s = sym & 15;
	*value = 0;
	if (s) {
		int v = (int)((r->w << len) >> (64 - s));
		*value = v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
	}
	r->w <<= len + s;
	r->cnt -= (unsigned)(len + s);
	return sym;
}

// icdn_jdc_dc decodes a block's DC difference (magnitude at most 11 bits
// for 8-bit samples); 0 for a bad code.
static inline int icdn_jdc_dc(icdn_jdc_bits *r, const icdn_jdc_huff *dc, int *diff) {
	icdn_jdc_refill(r);
	int sym = icdn_jdc_symbol(r, dc, diff);
	return sym >= 0 && sym <= 11;
}

// icdn_jdc_skip skips a block's AC coefficients from position k on. It
// returns 0 for a code the table does not have.
static inline int icdn_jdc_skip(icdn_jdc_bits *b, const icdn_jdc_huff *ac, int k) {
	icdn_jdc_bits r = *b;
	int len, s;
	uint16_t e;
	while (k < 64) {
		icdn_jdc_refill(&r);
		e = ac->multi[r.w >> (64 - ICDN_JDC_MULTI)];
		int adv = (e >> 5) & 127;
		if (e && k + adv < 64) { // every symbol inside this block
			r.w <<= e & 31;
			r.cnt -= e & 31;
			k += adv;
			if (e >> 12)
				break;
			continue;
		}
		// One symbol: a block that ends without an end of block, or a long
		// code.
		int sym;
		e = ac->look[r.w >> (64 - ICDN_JDC_LOOK)];
		if (e) {
			len = e >> 8;
			sym = e & 0xFF;
		} else if ((sym = icdn_jdc_long(ac, r.w, &len)) < 0) {
			return 0;
		}
		int run = sym >> 4;
		s = sym & 15;
		r.w <<= len + s;
		r.cnt -= (unsigned)(len + s);
		k += s ? run + 1 : (run == 15 ? 16 : 64);
	}
	*b = r;
	return 1;
}

// icdn_jdc_restart moves the stream past the restart marker expected next
// (*next, 0–7), ending a segment: bytes its blocks did not use are skipped,
// as libjpeg does. 0 when the blocks read past the segment's data or the
// marker is not the one expected.
static int icdn_jdc_restart(icdn_jdc_stream *st, int *next) {
	if (icdn_jdc_overread(st))
		return 0;
	while (!st->marker && !st->truncated) {
		st->bits.p = st->buf + st->len;
		icdn_jdc_fill(st);
	}
	if (st->marker != 0xD0 + *next)
		return 0;
	*next = (*next + 1) & 7;
	st->marker = 0;
	st->len = 0;
	st->bits = (icdn_jdc_bits){st->buf, 0, 0};
	icdn_jdc_fill(st);
	return 1;
}

// icdn_jdc_begin starts the stream at a scan's data, p.
static void icdn_jdc_begin(icdn_jdc_stream *st, const uint8_t *p, const uint8_t *end) {
	*st = (icdn_jdc_stream){.src = p, .end = end, .buf = st->buf};
	st->bits.p = st->buf;
	icdn_jdc_fill(st);
}

// icdn_jdc_ended reports whether a scan's data ended as it should: at a
// marker other than a restart (a truncated scan, or one whose restart
// markers ended early, is left to libjpeg).
static int icdn_jdc_ended(const icdn_jdc_stream *st) {
	return !st->truncated && !(st->marker >= 0xD0 && st->marker <= 0xD7);
}

// icdn_jdc_ready makes sure the window holds an MCU's worth of data, unless
// the scan's data has ended.
static inline void icdn_jdc_ready(icdn_jdc_stream *st) {
	if (st->buf + st->len - st->bits.p < ICDN_JDC_MARGIN && !st->marker && !st->truncated)
		icdn_jdc_fill(st);
}

// icdn_jdc_block decodes one block's DC difference and skips the rest.
static inline int icdn_jdc_block(icdn_jdc_bits *b, const icdn_jdc_huff *dc, const icdn_jdc_huff *ac, int *diff) {
	return icdn_jdc_dc(b, dc, diff) && icdn_jdc_skip(b, ac, 1);
}

static inline uint8_t icdn_jdc_clamp(int v) { return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)v; }

// The position in the 8×8 block (row × 8 + column) of each coefficient in
// the order a scan codes them (JPEG's zigzag, ITU T.81 figure A.6).
static const uint8_t icdn_jdc_zigzag[64] = {
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

// icdn_jdc_quarter_needs marks the block positions whose row and column
// are both 0 or odd: the coefficients the means of a block's quarters use
// (icdn_jdc_quads).
static const uint8_t icdn_jdc_quarter_needs[64] = {
	1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1};

// icdn_jdc_coefs decodes one block whole: its DC difference, and the AC
// coefficients icdn_jdc_quads needs, times their quantisers, into f (by
// block position; the caller zeroes what *nset lists afterwards). 0 for a
// bad code.
static inline int icdn_jdc_coefs(icdn_jdc_bits *b, const icdn_jdc_huff *dc, const icdn_jdc_huff *ac,
                                 const uint16_t *qz, int *diff, int32_t f[64], uint8_t set[64], int *nset) {
	*nset = 0;
	if (!icdn_jdc_dc(b, dc, diff))
		return 0;
	for (int k = 1; k < 64; k++) {
		int v;
		icdn_jdc_refill(b);
		int sym = icdn_jdc_symbol(b, ac, &v);
		if (sym < 0)
			return 0;
		if ((sym & 15) == 0) {
			if (sym >> 4 != 15)
				break; // end of block
			k += 15;
			continue;
		}
		k += sym >> 4;
		if (k > 63)
			break; // a run past the block's end: libjpeg drops it too
		int pos = icdn_jdc_zigzag[k];
		if (icdn_jdc_quarter_needs[pos]) {
			f[pos] = v * qz[k];
			set[(*nset)++] = (uint8_t)pos;
		}
	}
	return 1;
}

// icdn_jdc_quarter[u] is what the frequency-u cosine of the 8-point
// inverse DCT, with its 1/2·C(u) factor, averages to over the first four
// samples: the means of a block's quarters then need only the frequencies
// 0, 1, 3, 5 and 7 (the even ones average to zero over four samples), and
// over the last four samples the odd ones change sign.
static double icdn_jdc_quarter[8];
static pthread_once_t icdn_jdc_quarter_once = PTHREAD_ONCE_INIT;

static void icdn_jdc_init_quarter(void) {
	const double pi = 3.14159265358979323846;
	for (int u = 0; u < 8; u++) {
		double sum = 0;
		for (int x = 0; x < 4; x++)
			sum += cos((2 * x + 1) * u * pi / 16);
		icdn_jdc_quarter[u] = (u ? 0.5 : 0.5 / sqrt(2.0)) * sum / 4;
	}
}

// icdn_jdc_quads writes the means of the block's four quarters (f: the
// dequantised coefficients by position, DC included) to out[0..1] (top)
// and out[stride..stride+1] (bottom).
static inline void icdn_jdc_quads(const int32_t f[64], uint8_t *out, size_t stride) {
	static const int odd[4] = {1, 3, 5, 7};
	const double *q = icdn_jdc_quarter;
	double left[8], right[8]; // per row v: over columns 0-3 and 4-7
	for (int vi = 0; vi < 5; vi++) {
		int v = vi ? odd[vi - 1] : 0;
		const int32_t *row = f + 8 * v;
		double e = q[0] * row[0], o = q[1] * row[1] + q[3] * row[3] + q[5] * row[5] + q[7] * row[7];
		left[v] = e + o;
		right[v] = e - o;
	}
	for (int side = 0; side < 2; side++) {
		const double *c = side ? right : left;
		double e = q[0] * c[0], o = q[1] * c[1] + q[3] * c[3] + q[5] * c[5] + q[7] * c[7];
		out[side] = icdn_jdc_clamp((int)floor(e + o + 128.5));
		out[stride + side] = icdn_jdc_clamp((int)floor(e - o + 128.5));
	}
}

// icdn_jdc_put writes block (bx, by) of c from its dequantised DC: its mean,
// or for 4:2:0 chroma the means of its quarters, from f (its AC
// coefficients by position; f[0] is set here) unless flat says they are
// all zero.
static inline void icdn_jdc_put(icdn_jdc_comp *c, size_t bx, size_t by, int64_t dc, int32_t f[64], int flat) {
	// The block's mean: DC × quantiser / 8, rounded, around the 128 the
	// encoder took away.
	int64_t m = ((dc + 4) >> 3) + 128;
	uint8_t mean = m < 0 ? 0 : m > 255 ? 255 : (uint8_t)m;
	if (!c->quads) {
		c->plane[by * (size_t)c->pw + bx] = mean;
		return;
	}
	size_t stride = 2 * (size_t)c->pw;
	uint8_t *q = c->plane + 2 * by * stride + 2 * bx;
	if (flat) {
		q[0] = q[1] = q[stride] = q[stride + 1] = mean;
		return;
	}
	f[0] = (int32_t)(dc < INT32_MIN ? INT32_MIN : dc > INT32_MAX ? INT32_MAX : dc);
	icdn_jdc_quads(f, q, stride);
}

// icdn_jdc_bits_get reads n (1 to 16) raw bits.
static inline unsigned icdn_jdc_bits_get(icdn_jdc_bits *b, int n) {
	icdn_jdc_refill(b);
	unsigned v = (unsigned)(b->w >> (64 - n));
	b->w <<= n;
	b->cnt -= (unsigned)n;
	return v;
}

// icdn_jdc_refine_nonzero refines a coefficient already nonzero by one
// correction bit (ITU T.81 G.1.2.3).
static inline void icdn_jdc_refine_nonzero(icdn_jdc_bits *b, int16_t *c, int p1) {
	if (icdn_jdc_bits_get(b, 1) && (*c & p1) == 0)
		*c = (int16_t)(*c >= 0 ? *c + p1 : *c - p1);
}

// icdn_jdc_prog_block decodes one block of a progressive scan into the
// component's coefficients; *eobrun carries end-of-band runs between
// blocks. 0 for a bad code.
static int icdn_jdc_prog_block(icdn_jdc *j, icdn_jdc_comp *c, size_t blk, icdn_jdc_bits *b, int *pred, unsigned *eobrun) {
	if (j->ss == 0) {
		if (j->ah) { // DC refinement: one more bit
			if (icdn_jdc_bits_get(b, 1))
				c->dcs[blk] |= 1 << j->al;
			return 1;
		}
		int diff;
		if (!icdn_jdc_dc(b, &j->dc[c->td], &diff))
			return 0;
		int pv = *pred + diff;
		*pred = pv < -32767 ? -32767 : pv > 32767 ? 32767 : pv;
		c->dcs[blk] = *pred * (1 << j->al);
		return 1;
	}
	int16_t *coef = c->acs + blk * 64;
	const icdn_jdc_huff *ac = &j->ac[c->ta];
	int k = j->ss, p1 = 1 << j->al;
	if (j->ah == 0) { // first pass over a band
		if (*eobrun) {
			(*eobrun)--;
			return 1;
		}
		for (; k <= j->se; k++) {
			int v;
			icdn_jdc_refill(b);
			int sym = icdn_jdc_symbol(b, ac, &v);
			if (sym < 0)
				return 0;
			int r = sym >> 4;
			if (sym & 15) {
				k += r;
				if (k > j->se)
					return 0;
				coef[k] = (int16_t)(v * p1);
			} else if (r != 15) { // end of band, for this block and 2^r - 1 + bits more
				*eobrun = (1u << r) - 1;
				if (r)
					*eobrun += icdn_jdc_bits_get(b, r);
				break;
			} else {
				k += 15;
			}
		}
		return 1;
	}
	// Refinement: a bit for every coefficient already nonzero in the band,
	// and newly nonzero ones of magnitude 1 placed after r zero ones.
	if (*eobrun == 0) {
		for (; k <= j->se; k++) {
			int v, value = 0;
			icdn_jdc_refill(b);
			int sym = icdn_jdc_symbol(b, ac, &v);
			if (sym < 0 || (sym & 15) > 1)
				return 0;
			int r = sym >> 4;
			if (sym & 15) {
				value = v * p1;
			} else if (r != 15) {
				*eobrun = 1u << r;
				if (r)
					*eobrun += icdn_jdc_bits_get(b, r);
				break;
			}
			for (; k <= j->se; k++) {
				if (coef[k] != 0)
					icdn_jdc_refine_nonzero(b, &coef[k], p1);
				else if (r-- == 0)
					break;
			}
			if (value && k <= j->se)
				coef[k] = (int16_t)value;
		}
	}
	if (*eobrun) {
		for (; k <= j->se; k++)
			if (coef[k] != 0)
				icdn_jdc_refine_nonzero(b, &coef[k], p1);
		(*eobrun)--;
	}
	return 1;
}

// icdn_jdc_skip_scan moves j->p past a scan's data to the marker after it.
static int icdn_jdc_skip_scan(icdn_jdc *j) {
	const uint8_t *p = j->p;
	for (;;) {
		const uint8_t *ff = memchr(p, 0xFF, (size_t)(j->end - p));
		if (ff == NULL || ff + 1 >= j->end)
			return 0; // truncated
		p = ff + 1;
		if (*p == 0 || (*p >= 0xD0 && *p <= 0xD7) || *p == 0xFF)
			continue;
		j->p = ff;
		return 1;
	}
}

// icdn_jdc_prog_scan decodes the scan at j->p, or skips it when none of its
// coefficients reach the image at 1/8: the AC bands of every component but
// 4:2:0 chroma. j->p ends at the marker after the scan.
static int icdn_jdc_prog_scan(icdn_jdc *j, icdn_jdc_stream *st, volatile int *kill) {
	if (j->ss > 0 && !j->comp[j->order[0]].quads)
		return icdn_jdc_skip_scan(j) ? ICDN_JDC_OK : ICDN_JDC_UNSUPPORTED;
	// One component's scan goes block by block over that component's own
	// blocks; an interleaved one MCU by MCU.
	int ux, uy;
	icdn_jdc_comp *c0 = &j->comp[j->order[0]];
	if (j->ns == 1) {
		int cw = (j->width * c0->h + j->hmax - 1) / j->hmax, ch = (j->height * c0->v + j->vmax - 1) / j->vmax;
		ux = (cw + 7) / 8;
		uy = (ch + 7) / 8;
	} else {
		ux = (j->width + 8 * j->hmax - 1) / (8 * j->hmax);
		uy = (j->height + 8 * j->vmax - 1) / (8 * j->vmax);
	}
	icdn_jdc_begin(st, j->p, j->end);
	int pred[3] = {0, 0, 0}, left = j->restart, next_rst = 0;
	unsigned eobrun = 0;
	for (int y = 0; y < uy; y++) {
		if (*kill)
			return ICDN_JDC_KILLED;
		for (int x = 0; x < ux; x++) {
			if (j->restart && left-- == 0) {
				if (!icdn_jdc_restart(st, &next_rst))
					return ICDN_JDC_UNSUPPORTED;
				pred[0] = pred[1] = pred[2] = 0;
				eobrun = 0;
				left = j->restart - 1;
			}
			icdn_jdc_ready(st);
			if (j->ns == 1) {
				if (!icdn_jdc_prog_block(j, c0, (size_t)y * (size_t)c0->pw + (size_t)x, &st->bits, &pred[0], &eobrun))
					return ICDN_JDC_UNSUPPORTED;
			} else {
				for (int o = 0; o < j->ns; o++) {
					icdn_jdc_comp *c = &j->comp[j->order[o]];
					for (int by = 0; by < c->v; by++)
						for (int bx = 0; bx < c->h; bx++) {
							size_t blk = (size_t)(y * c->v + by) * (size_t)c->pw + (size_t)(x * c->h + bx);
							if (!icdn_jdc_prog_block(j, c, blk, &st->bits, &pred[o], &eobrun))
								return ICDN_JDC_UNSUPPORTED;
						}
				}
			}
			if ((st->marker || st->truncated) && icdn_jdc_overread(st))
				return ICDN_JDC_UNSUPPORTED;
		}
	}
	if (!icdn_jdc_ended(st))
		return ICDN_JDC_UNSUPPORTED;
	j->p = st->src - 2; // the marker's 0xFF
	return ICDN_JDC_OK;
}

// icdn_jdc_progressive decodes every scan that reaches the image at 1/8,
// then makes the planes from the coefficients.
static int icdn_jdc_progressive(icdn_jdc *j, icdn_jdc_stream *st, volatile int *kill) {
	for (int i = 0; i < j->ncomp; i++) {
		icdn_jdc_comp *c = &j->comp[i];
		size_t blocks = (size_t)c->pw * (size_t)c->ph;
		c->dcs = calloc(blocks, sizeof *c->dcs);
		if (c->dcs == NULL || (c->quads && (c->acs = calloc(blocks * 64, sizeof *c->acs)) == NULL))
			return ICDN_JDC_NOMEM;
	}
	for (;;) {
		int r = icdn_jdc_prog_scan(j, st, kill);
		if (r != ICDN_JDC_OK)
			return r;
		r = icdn_jdc_markers(j, 0);
		if (r == 0)
			return ICDN_JDC_UNSUPPORTED;
		if (r == 2)
			break;
	}
	int32_t f[64] = {0};
	for (int i = 0; i < j->ncomp; i++) {
		icdn_jdc_comp *c = &j->comp[i];
		const uint16_t *qz = j->quant[c->tq];
		for (size_t by = 0; by < (size_t)c->ph; by++)
			for (size_t bx = 0; bx < (size_t)c->pw; bx++) {
				size_t blk = by * (size_t)c->pw + bx;
				if (c->quads) {
					const int16_t *coef = c->acs + blk * 64;
					for (int k = 1; k < 64; k++) {
						int pos = icdn_jdc_zigzag[k];
						if (icdn_jdc_quarter_needs[pos])
							f[pos] = coef[k] * qz[k];
					}
				}
				icdn_jdc_put(c, bx, by, (int64_t)c->dcs[blk] * qz[0], f, 0);
			}
	}
	return ICDN_JDC_OK;
}

// icdn_jdc_sequential decodes a sequential file's one scan, at j->p, into
// the planes.
static int icdn_jdc_sequential(icdn_jdc *j, icdn_jdc_stream *st, volatile int *kill) {
	int mcux = (j->width + 8 * j->hmax - 1) / (8 * j->hmax);
	int mcuy = (j->height + 8 * j->vmax - 1) / (8 * j->vmax);
	int pred[3] = {0, 0, 0}, left = j->restart, next_rst = 0;
	int32_t f[64] = {0}; // a 4:2:0 chroma block's coefficients
	uint8_t set[64];      // the positions of f set
	icdn_jdc_begin(st, j->p, j->end);
	for (int my = 0; my < mcuy; my++) {
		if (*kill)
			return ICDN_JDC_KILLED;
		for (int mx = 0; mx < mcux; mx++) {
			if (j->restart && left-- == 0) {
				if (!icdn_jdc_restart(st, &next_rst))
					return ICDN_JDC_UNSUPPORTED;
				pred[0] = pred[1] = pred[2] = 0;
				left = j->restart - 1;
			}
			icdn_jdc_ready(st);
			for (int o = 0; o < j->ncomp; o++) {
				icdn_jdc_comp *c = &j->comp[j->order[o]];
				const icdn_jdc_huff *dc = &j->dc[c->td], *ac = &j->ac[c->ta];
				const uint16_t *qz = j->quant[c->tq];
				for (int b = 0; b < c->v * c->h; b++) {
					int diff, nset = 0;
					if (c->quads ? !icdn_jdc_coefs(&st->bits, dc, ac, qz, &diff, f, set, &nset)
					             : !icdn_jdc_block(&st->bits, dc, ac, &diff))
						return ICDN_JDC_UNSUPPORTED; // a code the tables do not have
					int pv = pred[o] + diff;
					pred[o] = pv = pv < -32767 ? -32767 : pv > 32767 ? 32767 : pv;
					icdn_jdc_put(c, (size_t)(mx * c->h + b % c->h), (size_t)(my * c->v + b / c->h), (int64_t)pv * qz[0], f, nset == 0);
					for (int i = 0; i < nset; i++)
						f[set[i]] = 0;
				}
			}
			// Past a marker or the file's end there is no more to unstuff:
			// the MCU just read must not have gone past the data into the
			// zeros after it (it cannot have gone past those).
			if ((st->marker || st->truncated) && icdn_jdc_overread(st))
				return ICDN_JDC_UNSUPPORTED;
		}
	}
	return icdn_jdc_ended(st) ? ICDN_JDC_OK : ICDN_JDC_UNSUPPORTED;
}

// icdn_jdc_pixels makes the output from the planes: w × h pixels (see
// icdn_jdc_decode) of grey, or of RGB from YCbCr.
static int icdn_jdc_pixels(const icdn_jdc *j, uint8_t **out, int *ow, int *oh, int *bands) {
	int fw = (j->width + 7) / 8, fh = (j->height + 7) / 8, w = fw, h = fh, nb = j->ncomp;
	if (*ow > w || *oh > h || *ow < 0 || *oh < 0)
		return ICDN_JDC_UNSUPPORTED;
	if (*ow > 0 && *oh > 0) {
		w = *ow;
		h = *oh;
	}
	uint8_t *pix = malloc((size_t)w * (size_t)h * (size_t)nb);
	if (pix == NULL)
		return ICDN_JDC_NOMEM;
	if (nb == 1) {
		for (int y = 0; y < h; y++)
			memcpy(pix + (size_t)y * (size_t)w, j->comp[0].plane + (size_t)y * (size_t)j->comp[0].pw, (size_t)w);
	} else {
		// 4:2:0 chroma came as quarters of blocks, at the luma's
		// resolution. Other chroma at half resolution (4:2:2, 4:4:0) is
		// interpolated between the two nearest samples, weighted 3:1 (the
		// samples sit between the luma's), as libjpeg's fancy upsampling
		// does.
		uint8_t *up = malloc((size_t)w * 2);
		int *t = malloc((size_t)fw * sizeof *t);
		if (up == NULL || t == NULL) {
			free(up);
			free(t);
			free(pix);
			return ICDN_JDC_NOMEM;
		}
		for (int y = 0; y < h; y++) {
			for (int ci = 1; ci <= 2; ci++) {
				const icdn_jdc_comp *c = &j->comp[ci];
				uint8_t *u = up + (size_t)(ci - 1) * (size_t)w;
				if (c->quads) {
					memcpy(u, c->plane + (size_t)y * 2 * (size_t)c->pw, (size_t)w);
					continue;
				}
				int fx = j->hmax / c->h, fy = j->vmax / c->v;
				int cw = (fw + fx - 1) / fx, ch = (fh + fy - 1) / fy, cy = y / fy, ny = cy;
				if (fy == 2)
					ny = y & 1 ? (cy + 1 < ch ? cy + 1 : cy) : (cy > 0 ? cy - 1 : 0);
				const uint8_t *r0 = c->plane + (size_t)cy * (size_t)c->pw, *r1 = c->plane + (size_t)ny * (size_t)c->pw;
				int wy = fy == 2 ? 3 : 4;
				for (int x = 0; x < cw; x++)
					t[x] = wy * r0[x] + (4 - wy) * r1[x]; // ×4
				if (fx == 1) {
					for (int x = 0; x < w; x++)
						u[x] = (uint8_t)((t[x] + 2) >> 2);
				} else {
					for (int x = 0; x < w; x++) {
						int cx = x >> 1, nx = x & 1 ? (cx + 1 < cw ? cx + 1 : cx) : (cx > 0 ? cx - 1 : 0);
						u[x] = (uint8_t)((3 * t[cx] + t[nx] + 8) >> 4);
					}
				}
			}
			// JFIF's YCbCr to RGB, in 16.16 fixed point.
			const uint8_t *yr = j->comp[0].plane + (size_t)y * (size_t)j->comp[0].pw;
			uint8_t *o = pix + (size_t)y * (size_t)w * 3;
			for (int x = 0; x < w; x++) {
				int Y = yr[x], cb = up[x] - 128, cr = up[w + x] - 128;
				o[3 * x + 0] = icdn_jdc_clamp(Y + ((91881 * cr + 32768) >> 16));
				o[3 * x + 1] = icdn_jdc_clamp(Y + ((-22554 * cb - 46802 * cr + 32768) >> 16));
				o[3 * x + 2] = icdn_jdc_clamp(Y + ((116130 * cb + 32768) >> 16));
			}
		}
		free(up);
		free(t);
	}
	*out = pix;
	*ow = w;
	*oh = h;
	*bands = nb;
	return ICDN_JDC_OK;
}

// icdn_jdc_decode decodes src at 1/8 scale into *out: w × h pixels of
// *bands (1 or 3) bytes, sRGB or grey, which the caller frees. The image at
// 1/8 is ceil(width/8) × ceil(height/8) pixels; w and h may take less of it
// (libvips rounds down), and 0 takes all of it, which *w and *h then say.
// *kill is read between MCU rows; when it is set the decode stops with
// ICDN_JDC_KILLED.
static int icdn_jdc_decode(const uint8_t *src, size_t n, volatile int *kill, uint8_t **out, int *ow, int *oh, int *bands) {
	icdn_jdc *j = calloc(1, sizeof *j);
	icdn_jdc_stream st = {0};
	int ret = ICDN_JDC_UNSUPPORTED;
	if (j == NULL)
		return ICDN_JDC_NOMEM;
	pthread_once(&icdn_jdc_quarter_once, icdn_jdc_init_quarter);
	j->p = src + 2;
	j->end = src + n;
	j->adobe_transform = -1;
	if (n < 4 || src[0] != 0xFF || src[1] != 0xD8 || icdn_jdc_markers(j, 1) != 1)
		goto done;

	int mcux = (j->width + 8 * j->hmax - 1) / (8 * j->hmax);
	int mcuy = (j->height + 8 * j->vmax - 1) / (8 * j->vmax);
	ret = ICDN_JDC_NOMEM;
	for (int i = 0; i < j->ncomp; i++) {
		icdn_jdc_comp *c = &j->comp[i];
		c->pw = mcux * c->h;
		c->ph = mcuy * c->v;
		c->quads = i > 0 && c->h * 2 == j->hmax && c->v * 2 == j->vmax;
		if ((c->plane = malloc((size_t)c->pw * (size_t)c->ph * (c->quads ? 4 : 1))) == NULL)
			goto done;
	}
	if ((st.buf = malloc(ICDN_JDC_WINDOW + ICDN_JDC_PAD)) == NULL)
		goto done;
	ret = j->progressive ? icdn_jdc_progressive(j, &st, kill) : icdn_jdc_sequential(j, &st, kill);
	if (ret != ICDN_JDC_OK)
		goto done;
	ret = icdn_jdc_pixels(j, out, ow, oh, bands);
done:
	for (int i = 0; i < 3; i++) {
		free(j->comp[i].plane);
		free(j->comp[i].dcs);
		free(j->comp[i].acs);
	}
	free(j);
	free(st.buf);
	return ret;
}

#endif
