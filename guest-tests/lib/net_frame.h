/*
 * The Ethernet test frames of the virtio-net tests, shared by the guests
 * (freestanding) and the host peer src/virtio_net_peer.c (hosted): only
 * <stdint.h>/<stddef.h> and static inline functions here.
 *
 * A test frame: destination, source, EtherType 0x88b5 (IEEE 802 local
 * experimental), then the NUL-terminated text "KVMINI-<tag>-<seq>" (tag
 * "TX" for frames the guest sends, "RX" for frames the peer injects), then
 * padding byte i = (i * 7 + seq * 13 + tag[0]) & 0xff up to the frame's
 * length.  Lengths cycle with the sequence number so that every run has
 * minimum-size, odd-size and full-size (1514-byte) frames.
 */
#ifndef NET_FRAME_H
#define NET_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define NF_ETHERTYPE 0x88b5
#define NF_ETH_HLEN  14
#define NF_MAX_LEN   1514 /* no FCS: the tap neither adds nor wants one */
#define NF_TEXT_MAX  24	  /* "KVMINI-XX-4294967295" and the NUL */

/* the peer's MAC (source of injected frames) */
#define NF_PEER_MAC                        \
	{                                  \
		0x02, 0, 0, 0, 0, 0x02     \
	}

/* frames the host injects (RX in the guest): 60, 250, 700, 1514, ... */
static inline uint32_t nf_rx_len(uint32_t seq)
{
	switch (seq % 4) {
	case 0: return 60;
	case 1: return 250;
	case 2: return 700;
	default: return NF_MAX_LEN;
	}
}

/* frames the guest sends: 60, 128, 1000, 1514, ... */
static inline uint32_t nf_tx_len(uint32_t seq)
{
	switch (seq % 4) {
	case 0: return 60;
	case 1: return 128;
	case 2: return 1000;
	default: return NF_MAX_LEN;
	}
}

/* "KVMINI-<tag>-<seq>" and a NUL at p; returns the length with the NUL */
static inline uint32_t nf_text(char *p, const char *tag, uint32_t seq)
{
	static const char pre[] = "KVMINI-";
	char digits[10];
	uint32_t n = 0, k = 0;

	for (k = 0; pre[k]; k++)
		p[n++] = pre[k];
	for (k = 0; tag[k] && k < 2; k++)
		p[n++] = tag[k];
	p[n++] = '-';
	k = 0;
	do {
		digits[k++] = (char)('0' + seq % 10);
		seq /= 10;
	} while (seq);
	while (k)
		p[n++] = digits[--k];
	p[n++] = 0;
	return n;
}

static inline uint8_t nf_pad(const char *tag, uint32_t seq, uint32_t i)
{
	return (uint8_t)(i * 7 + seq * 13 + (uint8_t)tag[0]);
}

/* a whole test frame of len bytes (len >= NF_ETH_HLEN + NF_TEXT_MAX) */
static inline void nf_build(uint8_t *f, uint32_t len, const uint8_t *dst,
			    const uint8_t *src, const char *tag, uint32_t seq)
{
	uint32_t i, t;

	for (i = 0; i < 6; i++) {
		f[i] = dst[i];
		f[6 + i] = src[i];
	}
	f[12] = NF_ETHERTYPE >> 8;
	f[13] = NF_ETHERTYPE & 0xff;
	t = nf_text((char *)f + NF_ETH_HLEN, tag, seq);
	for (i = NF_ETH_HLEN + t; i < len; i++)
		f[i] = nf_pad(tag, seq, i);
}

/*
 * Checks everything after the addresses: EtherType, text, padding and the
 * length.  0 if the frame is test frame (tag, seq) of length want_len,
 * else 1 + the offset of the first wrong byte (len + 1: wrong length).
 */
static inline uint32_t nf_check(const uint8_t *f, uint32_t len,
				const char *tag, uint32_t seq,
				uint32_t want_len)
{
	char text[NF_TEXT_MAX];
	uint32_t i, t = nf_text(text, tag, seq);

	if (len < NF_ETH_HLEN + t)
		return len + 1;
	if (f[12] != NF_ETHERTYPE >> 8)
		return 13;
	if (f[13] != (NF_ETHERTYPE & 0xff))
		return 14;
	for (i = 0; i < t; i++)
		if (f[NF_ETH_HLEN + i] != (uint8_t)text[i])
			return NF_ETH_HLEN + i + 1;
	for (i = NF_ETH_HLEN + t; i < len; i++)
		if (f[i] != nf_pad(tag, seq, i))
			return i + 1;
	return len == want_len ? 0 : len + 1;
}

static inline int nf_mac_eq(const uint8_t *a, const uint8_t *b)
{
	uint32_t i;

	for (i = 0; i < 6; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

#endif
