// SPDX-License-Identifier: GPL-2.0
/*
 * netpeer: the host side of the virtio-net rows of `make bench`
 * (tools/bench.sh), Ethernet frames on AF_PACKET sockets.  tools/bench.sh
 * runs it inside the network namespace it made for the bench, so frames
 * only ever go to interfaces there.
 *
 *   netpeer vm IFNAME CONSOLE tx|rx|rr SIZE GUEST_MAC [WINDOW]
 *
 *     the other end of a VM's tap (the net_bench guest, on kvmini or
 *     QEMU); CONSOLE is the file the VM's serial console goes to.  From
 *     the guest's "BENCH net ready" line until its "BENCH done" (or
 *     "BENCH FAIL") line, or 300 s:
 *       tx  counts the guest's frames of SIZE bytes, on a TPACKET_V3 ring
 *           (see ring_open), first to last frame
 *       rx  injects frames of SIZE bytes to GUEST_MAC as fast as the
 *           kernel takes them (sendmmsg), at most WINDOW (default 256)
 *           ahead of what the VMM has read from the tap (its tx_packets
 *           counter, which the tun driver advances as its reader takes a
 *           frame): the tap's queue stays busy without overflowing, and
 *           no CPU spins on refused frames; 0: no window
 *       rr  sends every frame of the guest's straight back (addresses
 *           swapped), blocking receives
 *     and prints one line "netpeer vm MODE key=value ...".
 *
 *   netpeer veth IFA IFB tx|rx|rr SIZE COUNT [WARMUP]
 *
 *     the physical limit: both ends of a veth pair, A (IFA) playing the
 *     guest and B (IFB, a thread) the peer, with the guest's patterns:
 *       tx  A sends COUNT frames with send(), timed from the first to the
 *           last; B counts them on a ring, as "vm tx" does
 *       rx  B injects as "vm rx" does, with no window; A polls a ring of
 *           whole frames (as the guest polls its used ring) for COUNT
 *           frames after the first, timed by the kernel's receive
 *           timestamps
 *       rr  A sends one frame and polls (non-blocking receives) for B's
 *           echo (the loop of "vm rr"), WARMUP (default 16) + COUNT
 *           times; CLOCK_MONOTONIC around each round trip
 *     and prints one line "netpeer veth MODE key=value ...".
 *
 * Frames: EtherType 0x88b5 (IEEE 802 local experimental), built with the
 * guest tests' lib/net_frame.h.  libc and pthreads only.  Exit status 0,
 * or 1 on a setup error or a timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net_frame.h"

#define VM_TIMEOUT_S 300.0
#define RCVBUF	     (32 << 20)
#define BURST	     32

static const uint8_t peer_mac[6] = NF_PEER_MAC;
/* the veth rows' stand-in for the guest's MAC */
static const uint8_t guest_mac[6] = { 2, 0, 0, 0, 0, 1 };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t *m)
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)b[i];
	return 0;
}

/* an AF_PACKET socket for our EtherType on ifname, big receive buffer */
static int open_sock(const char *ifname, unsigned int *ifindex)
{
	struct sockaddr_ll sll = { 0 };
	int s, one = 1, rcv = RCVBUF;
	double deadline = now() + 10;

	while (!(*ifindex = if_nametoindex(ifname))) {
		if (now() > deadline) {
			fprintf(stderr, "netpeer: no interface %s\n", ifname);
			return -1;
		}
		usleep(10000);
	}
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(NF_ETHERTYPE));
	if (s < 0) {
		fprintf(stderr, "netpeer: AF_PACKET socket: %s\n",
			strerror(errno));
		return -1;
	}
	/* as root; the plain setsockopt is capped at rmem_max */
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* straight to the driver: no qdisc in the way of either column */
	setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(NF_ETHERTYPE);
	sll.sll_ifindex = (int)*ifindex;
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll))) {
		fprintf(stderr, "netpeer: bind to %s: %s\n", ifname,
			strerror(errno));
		close(s);
		return -1;
	}
	return s;
}

/* frames the socket dropped for want of buffer space, since the last call */
static unsigned int sock_drops(int s)
{
	struct tpacket_stats st = { 0 };
	socklen_t l = sizeof(st);

	if (getsockopt(s, SOL_PACKET, PACKET_STATISTICS, &st, &l))
		return 0;
	return st.tp_drops;
}

/* a counter of /sys/class/net/IF/statistics, read again on every call */
static long long if_stat(int fd)
{
	char buf[32];
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoll(buf);
}

static int if_stat_open(const char *ifname, const char *what)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname,
		 what);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static volatile sig_atomic_t got_term; /* SIGTERM, SIGINT */

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

/* --- the console of the VM ------------------------------------------------ */
struct console {
	const char *path;
	int fd;
	char line[256];
	size_t len;
	int ready, done;
};

/* reads what is new; sets ready/done on the guest's lines */
static void console_poll(struct console *c)
{
	char buf[4096];
	ssize_t n;

	if (c->fd < 0)
		c->fd = open(c->path, O_RDONLY | O_CLOEXEC);
	while (c->fd >= 0 && (n = read(c->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (c->len < sizeof(c->line) - 1)
					c->line[c->len++] = buf[i];
				continue;
			}
			c->line[c->len] = 0;
			c->len = 0;
			if (strstr(c->line, "BENCH net ready"))
				c->ready = 1;
			if (strstr(c->line, "BENCH done") ||
			    strstr(c->line, "BENCH FAIL") ||
			    strstr(c->line, "main returned"))
				c->done = 1;
		}
	}
}

/* --- the patterns, shared by "vm" and "veth" ------------------------------- */

/* stop: for the loops run in a thread (veth); NULL: a console decides */
struct ctl {
	volatile int stop;
	struct console *con;
};

static int should_stop(struct ctl *ctl, double *next_check)
{
	double t;

	if (ctl->stop || got_term)
		return 1;
	if (!ctl->con)
		return 0;
	t = now();
	if (t < *next_check)
		return 0;
	*next_check = t + 0.002;
	console_poll(ctl->con);
	return ctl->con->done;
}

/*
 * Counting receiver: a TPACKET_V3 ring (RING_BLOCKS blocks of 1 MiB
 * mapped into this process), so that the kernel puts frames there in the
 * sender's context and a busy host cannot make us drop them for want of
 * a receive buffer; snap > 0 keeps only the first snap bytes of each
 * (a socket filter), which is all a counter needs.
 */
#define RING_BLOCK  (1u << 20)
#define RING_BLOCKS 64u

struct ring {
	int s;
	uint8_t *map;
	unsigned int cur;
};

static int ring_open(struct ring *r, const char *ifname, unsigned int snap)
{
	struct tpacket_req3 req = {
		.tp_block_size = RING_BLOCK,
		.tp_block_nr = RING_BLOCKS,
		.tp_frame_size = 2048,
		.tp_frame_nr = RING_BLOCK / 2048 * RING_BLOCKS,
		.tp_retire_blk_tov = 1, /* ms: a part-filled block */
	};
	struct sock_filter cut[] = { BPF_STMT(BPF_RET | BPF_K, snap) };
	struct sock_fprog prog = { .len = 1, .filter = cut };
	unsigned int ifindex;
	int v = TPACKET_V3;

	memset(r, 0, sizeof(*r));
	r->s = open_sock(ifname, &ifindex);
	if (r->s < 0)
		return -1;
	if ((snap && setsockopt(r->s, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
				sizeof(prog))) ||
	    setsockopt(r->s, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(r->s, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req))) {
		fprintf(stderr, "netpeer: packet ring on %s: %s\n", ifname,
			strerror(errno));
		return -1;
	}
	r->map = mmap(NULL, (size_t)RING_BLOCK * RING_BLOCKS,
		      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, r->s, 0);
	if (r->map == MAP_FAILED)
		r->map = mmap(NULL, (size_t)RING_BLOCK * RING_BLOCKS,
			      PROT_READ | PROT_WRITE, MAP_SHARED, r->s, 0);
	if (r->map == MAP_FAILED) {
		fprintf(stderr, "netpeer: mmap of the packet ring: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

struct count_res {
	unsigned long long frames, other;
	double first, last; /* the kernel's receive timestamps */
};

/* the frames of one block handed to us, if there is one; 0 if none */
static int ring_block(struct ring *r, size_t size, struct count_res *c)
{
	struct tpacket_block_desc *bd =
		(void *)(r->map + (size_t)r->cur * RING_BLOCK);
	uint8_t *p;

	if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
	      TP_STATUS_USER))
		return 0;
	p = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
	for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts; i++) {
		struct tpacket3_hdr *h = (void *)p;
		struct sockaddr_ll *sll =
			(void *)(p + TPACKET_ALIGN(sizeof(*h)));

		p += h->tp_next_offset;
		if (sll->sll_pkttype == PACKET_OUTGOING)
			continue;
		if (h->tp_len != size) {
			c->other++;
			continue;
		}
		c->last = h->tp_sec + h->tp_nsec / 1e9;
		if (!c->frames++)
			c->first = c->last;
	}
	__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
			 __ATOMIC_RELEASE);
	r->cur = (r->cur + 1) % RING_BLOCKS;
	return 1;
}

/*
 * Counts frames of size bytes until wanted (if not 0) are in, or until
 * told to stop and linger seconds more (frames still on their way).
 * spin: poll the ring in memory (as the guest polls its used ring);
 * else sleep in poll() between blocks.
 */
static void ring_count(struct ring *r, size_t size, struct ctl *ctl,
		       double linger, unsigned long long wanted, int spin,
		       struct count_res *c)
{
	double next = 0, end = 0;

	memset(c, 0, sizeof(*c));
	while (!end || now() < end) {
		if (!end && should_stop(ctl, &next))
			end = now() + linger;
		if (ring_block(r, size, c)) {
			if (wanted && c->frames >= wanted)
				return;
			continue;
		}
		if (!spin) {
			struct pollfd pf = { .fd = r->s, .events = POLLIN };

			poll(&pf, 1, 2);
		}
	}
}

struct inject_res {
	unsigned long long sent, failed;
	double first, last;
};

/*
 * Sends frames of size bytes to dst as fast as the kernel takes them, up
 * to BURST per sendmmsg(), until told to stop.  window > 0: at most that
 * many frames ahead of the stat counter read_fd (the tap's tx_packets,
 * which the tun driver counts as its reader takes a frame); a full window
 * waits 20 us.  A frame the kernel refuses (a full tap queue: ENOBUFS)
 * also waits 20 us.
 */
static void inject(int s, size_t size, const uint8_t *dst, int read_fd,
		   unsigned int window, struct ctl *ctl, struct inject_res *r)
{
	static uint8_t f[NF_MAX_LEN];
	static struct iovec iov = { f, 0 };
	static struct mmsghdr m[BURST];
	const struct timespec pause = { 0, 20000 };
	long long base = read_fd >= 0 ? if_stat(read_fd) : -1;
	double next = 0;

	memset(r, 0, sizeof(*r));
	nf_build(f, (uint32_t)size, dst, peer_mac, "BN", 1);
	iov.iov_len = size;
	for (int i = 0; i < BURST; i++)
		m[i].msg_hdr = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
	if (base < 0)
		window = 0;
	while (!should_stop(ctl, &next)) {
		unsigned int n = BURST;
		int sent;

		if (window) {
			long long ahead = (long long)r->sent -
					  (if_stat(read_fd) - base);

			if (ahead >= window) {
				nanosleep(&pause, NULL);
				continue;
			}
			if (window - ahead < n)
				n = (unsigned int)(window - ahead);
		}
		sent = sendmmsg(s, m, n, 0);
		if (sent > 0) {
			r->last = now();
			if (!r->sent)
				r->first = r->last;
			r->sent += (unsigned int)sent;
		}
		if (sent < (int)n) {
			r->failed++;
			nanosleep(&pause, NULL);
		}
	}
}

/* sends every frame back with the addresses swapped, until told to stop */
static unsigned long long echo(int s, struct ctl *ctl)
{
	static uint8_t buf[NF_MAX_LEN + 64];
	unsigned long long n = 0;
	double next = 0;
	struct timeval tv = { 0, 20000 };

	/* blocking receives, woken at least every 20 ms to look at the
	 * console or the stop flag */
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!should_stop(ctl, &next)) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t len = recvfrom(s, buf, sizeof(buf), 0,
				       (struct sockaddr *)&from, &fl);
		uint8_t t[6];

		if (len < NF_ETH_HLEN || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		memcpy(t, buf, 6);
		memcpy(buf, buf + 6, 6);
		memcpy(buf + 6, t, 6);
		if (send(s, buf, (size_t)len, 0) == len)
			n++;
	}
	return n;
}

/* --- vm --------------------------------------------------------------------- */
static int vm_main(int argc, char **argv)
{
	const char *ifname = argv[2], *mode = argv[4];
	size_t size = (size_t)atoi(argv[5]);
	uint8_t guest[6];
	unsigned int window = argc > 7 ? (unsigned int)atoi(argv[7]) : 256;
	struct console con = { .path = argv[3], .fd = -1 };
	struct ctl ctl = { .con = &con };
	double deadline = now() + VM_TIMEOUT_S, next = 0;
	struct ring ring;
	int s = -1;

	if (parse_mac(argv[6], guest) || size < NF_ETH_HLEN + NF_TEXT_MAX ||
	    size > NF_MAX_LEN ||
	    (strcmp(mode, "tx") && strcmp(mode, "rx") && strcmp(mode, "rr"))) {
		fprintf(stderr, "netpeer vm: bad mode, MAC or size\n");
		return 2;
	}
	/* the socket first: nothing the guest sends is missed */
	if (!strcmp(mode, "tx")) {
		if (ring_open(&ring, ifname, 64))
			return 1;
	} else {
		unsigned int ifindex;

		s = open_sock(ifname, &ifindex);
		if (s < 0)
			return 1;
	}
	/* the VM may not be up yet: wait for its ready line */
	while (!con.ready && !con.done && !got_term) {
		if (now() > deadline) {
			printf("netpeer vm %s timeout: no ready line\n", mode);
			return 1;
		}
		should_stop(&ctl, &next);
		usleep(1000);
	}
	if (!strcmp(mode, "tx")) {
		struct count_res r;

		ring_count(&ring, size, &ctl, 0.1, 0, 0, &r);
		printf("netpeer vm tx frames=%llu other=%llu seconds=%.6f "
		       "sock_drops=%u\n",
		       r.frames, r.other, r.frames > 1 ? r.last - r.first : 0,
		       sock_drops(ring.s));
	} else if (!strcmp(mode, "rx")) {
		struct inject_res r;
		int txp = if_stat_open(ifname, "tx_packets");
		int txd = if_stat_open(ifname, "tx_dropped");
		long long d0 = if_stat(txd);

		inject(s, size, guest, txp, window, &ctl, &r);
		printf("netpeer vm rx sent=%llu failed=%llu seconds=%.6f "
		       "tap_dropped=%lld window=%u\n",
		       r.sent, r.failed, r.sent > 1 ? r.last - r.first : 0,
		       d0 >= 0 ? if_stat(txd) - d0 : -1, window);
	} else {
		printf("netpeer vm rr echoed=%llu\n", echo(s, &ctl));
	}
	return con.done ? 0 : 1;
}

/* --- veth ------------------------------------------------------------------- */
struct side {
	const char *ifname, *mode;
	size_t size;
	struct ctl ctl;
	volatile int ready; /* 1: listening, -1: failed */
	struct count_res cnt;
	struct inject_res inj;
	unsigned long long echoed;
	unsigned int drops;
};

/* B, the peer's end, in a thread of its own */
static void *side_b(void *arg)
{
	struct side *b = arg;
	struct ring ring;
	unsigned int ifindex;
	int s;

	if (!strcmp(b->mode, "tx")) {
		if (ring_open(&ring, b->ifname, 64)) {
			b->ready = -1;
			return NULL;
		}
		b->ready = 1;
		ring_count(&ring, b->size, &b->ctl, 0.1, 0, 0, &b->cnt);
		b->drops = sock_drops(ring.s);
		return NULL;
	}
	s = open_sock(b->ifname, &ifindex);
	b->ready = s < 0 ? -1 : 1;
	if (s < 0)
		return NULL;
	if (!strcmp(b->mode, "rx"))
		inject(s, b->size, guest_mac, -1, 0, &b->ctl, &b->inj);
	else
		b->echoed = echo(s, &b->ctl);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int veth_main(int argc, char **argv)
{
	const char *mode = argv[4];
	size_t size = (size_t)atoi(argv[5]);
	unsigned long count = strtoul(argv[6], NULL, 0);
	unsigned long warmup = argc > 7 ? strtoul(argv[7], NULL, 0) : 16;
	static uint8_t f[NF_MAX_LEN + 64];
	struct side b = { .ifname = argv[3], .size = size, .mode = mode };
	unsigned int ia;
	pthread_t th;
	int a = -1, rc = 0;
	struct ring ring;

	if (size < NF_ETH_HLEN + NF_TEXT_MAX || size > NF_MAX_LEN ||
	    (strcmp(mode, "tx") && strcmp(mode, "rx") && strcmp(mode, "rr"))) {
		fprintf(stderr, "netpeer veth: bad mode or size\n");
		return 2;
	}
	/* A, the guest's end */
	if (!strcmp(mode, "rx") ? ring_open(&ring, argv[2], 0)
				: (a = open_sock(argv[2], &ia)) < 0)
		return 1;
	if (pthread_create(&th, NULL, side_b, &b)) {
		fprintf(stderr, "netpeer veth: pthread_create failed\n");
		return 1;
	}
	while (!b.ready)
		usleep(1000);
	if (b.ready < 0) {
		pthread_join(th, NULL);
		return 1;
	}
	usleep(10000); /* B is in its loop */
	nf_build(f, (uint32_t)size, peer_mac, guest_mac, "BN", 0);
	if (!strcmp(mode, "tx")) {
		double t0 = now(), t1;
		unsigned long i, failed = 0;

		for (i = 0; i < count; i++)
			if (send(a, f, size, 0) != (ssize_t)size)
				failed++;
		t1 = now();
		b.ctl.stop = 1;
		pthread_join(th, NULL);
		printf("netpeer veth tx frames=%lu failed=%lu seconds=%.6f "
		       "received=%llu recv_seconds=%.6f sock_drops=%u\n",
		       count, failed, t1 - t0, b.cnt.frames,
		       b.cnt.frames > 1 ? b.cnt.last - b.cnt.first : 0,
		       b.drops);
	} else if (!strcmp(mode, "rx")) {
		struct count_res c;
		struct ctl none = { 0 };

		/* the first frame starts the clock: count + 1 frames */
		ring_count(&ring, size, &none, 0, count + 1, 1, &c);
		b.ctl.stop = 1;
		pthread_join(th, NULL);
		printf("netpeer veth rx frames=%llu other=%llu seconds=%.6f "
		       "sent=%llu send_seconds=%.6f sock_drops=%u\n",
		       c.frames ? c.frames - 1 : 0, c.other, c.last - c.first,
		       b.inj.sent,
		       b.inj.sent > 1 ? b.inj.last - b.inj.first : 0,
		       sock_drops(ring.s));
		rc = c.frames < count + 1;
	} else {
		double *rtt = calloc(count ? count : 1, sizeof(double));
		double sum = 0;
		unsigned long i, n = 0;
		static uint8_t r[NF_MAX_LEN + 64];

		if (!rtt)
			return 1;
		for (i = 0; i < warmup + count && !rc; i++) {
			double t0 = now(), t1 = t0, give_up = t0 + 10;

			if (send(a, f, size, 0) != (ssize_t)size)
				rc = 1;
			/* polled, as the guest polls its used ring */
			while (!rc &&
			       recv(a, r, sizeof(r), MSG_DONTWAIT) != (ssize_t)size)
				if ((t1 = now()) > give_up)
					rc = 1;
			t1 = now();
			if (!rc && i >= warmup) {
				rtt[n++] = (t1 - t0) * 1e6;
				sum += (t1 - t0) * 1e6;
			}
		}
		b.ctl.stop = 1;
		pthread_join(th, NULL);
		qsort(rtt, n, sizeof(*rtt), cmp_double);
		printf("netpeer veth rr frames=%lu size=%zu mean_us=%.2f "
		       "p50_us=%.2f p99_us=%.2f min_us=%.2f max_us=%.2f "
		       "echoed=%llu\n",
		       n, size, n ? sum / n : 0, n ? rtt[(n + 1) / 2 - 1] : 0,
		       n ? rtt[n - n / 100 - 1] : 0, n ? rtt[0] : 0,
		       n ? rtt[n - 1] : 0, b.echoed);
		free(rtt);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* 20 us sleeps should be 20 us */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (argc >= 7 && argc <= 8 && !strcmp(argv[1], "vm"))
		return vm_main(argc, argv);
	if (argc >= 7 && argc <= 8 && !strcmp(argv[1], "veth"))
		return veth_main(argc, argv);
	fprintf(stderr,
		"usage: netpeer vm IFNAME CONSOLE tx|rx|rr SIZE GUEST_MAC "
		"[WINDOW]\n"
		"       netpeer veth IFA IFB tx|rx|rr SIZE COUNT [WARMUP]\n");
	return 2;
}
