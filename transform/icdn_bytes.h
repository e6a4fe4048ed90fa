// A growable byte buffer for the cgo files that collect what a C library
// hands over in pieces (libheif's writer, its decoder plugin's pushes).
#ifndef ICDN_BYTES_H
#define ICDN_BYTES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	uint8_t *data;
	size_t len, cap;
} icdn_bytes;

// icdn_bytes_append copies n bytes to the end of b, doubling its capacity
// as needed; 0 on success, -1 when memory runs out or the size overflows.
static inline int icdn_bytes_append(icdn_bytes *b, const void *p, size_t n) {
	if (n > SIZE_MAX / 2 - b->len)
		return -1;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *d = realloc(b->data, cap);
		if (d == NULL)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

#endif
