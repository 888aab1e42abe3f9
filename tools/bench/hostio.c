// SPDX-License-Identifier: GPL-2.0
/*
 * hostio: the host's own reading and writing of a file, for the baseline
 * column of `make bench` (tools/bench.sh).  The same patterns as the
 * blk_bench guest (guest-tests/src/blk_bench.c):
 *
 *   hostio [-B] [-H] -m seqread|seqwrite|randread [-b BS] [-n COUNT] [-q QD]
 *          [-s SEED] FILE
 *
 *   seqread/seqwrite  COUNT requests of BS bytes from offset 0, one at a
 *                     time, wrapping at the end of the file; a write run
 *                     ends with fdatasync (counted, like the guest's FLUSH)
 *   randread          COUNT requests of BS bytes at random BS-aligned
 *                     offsets, QD threads each keeping one in flight
 *   -B                buffered (page cache) instead of O_DIRECT
 *   -H                I/O buffers in transparent huge pages (as QEMU's
 *                     guest RAM is); default: ordinary 4 KiB pages, as
 *                     posix_memalign gives them (and kvmini's guest RAM)
 *
 * Prints one line:
 *   hostio mode=M bs=BS qd=QD requests=N seconds=S MBps=X IOPS=Y
 * (MB = 10^6 bytes).  libc and pthreads only.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ALIGN 4096

enum mode { SEQREAD, SEQWRITE, RANDREAD };

static int fd;
static enum mode mode;
static size_t bs = 4096;
static uint64_t count, nblocks;
static int huge;

struct worker {
	pthread_t thread;
	uint64_t n;	/* requests to do */
	uint32_t rnd;	/* xorshift32 state */
	int failed;
};

/* an aligned I/O buffer, in huge pages with -H; never freed */
static void *io_buffer(void)
{
	size_t len = (bs + (2u << 20) - 1) & ~((2ul << 20) - 1);
	uint8_t *p;
	void *buf;

	if (!huge)
		return posix_memalign(&buf, ALIGN, bs) ? NULL : buf;
	/* 2 MiB-aligned start inside a mapping one huge page larger */
	p = mmap(NULL, len + (2u << 20), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	p = (uint8_t *)(((uintptr_t)p + (2u << 20) - 1) & ~((2ul << 20) - 1));
	madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0, len);
	return p;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static int full_io(int write, void *buf, off_t off)
{
	size_t done = 0;

	while (done < bs) {
		ssize_t r = write ? pwrite(fd, (char *)buf + done, bs - done,
					   off + done)
				  : pread(fd, (char *)buf + done, bs - done,
					  off + done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "hostio: %s at %lld: %s\n",
				write ? "pwrite" : "pread", (long long)off,
				r < 0 ? strerror(errno) : "end of file");
			return -1;
		}
		done += r;
	}
	return 0;
}

static void *rand_worker(void *arg)
{
	struct worker *w = arg;
	void *buf = io_buffer();

	if (!buf) {
		w->failed = 1;
		return NULL;
	}
	for (uint64_t i = 0; i < w->n; i++) {
		/* 2 draws: files past 2^32 blocks still get every block */
		uint64_t r = (uint64_t)xorshift32(&w->rnd) << 32 |
			     xorshift32(&w->rnd);

		if (full_io(0, buf, (off_t)(r % nblocks * bs))) {
			w->failed = 1;
			break;
		}
	}
	return NULL;
}

static int run_seq(void)
{
	void *buf = io_buffer();
	uint64_t blk = 0;

	if (!buf)
		return -1;
	/* data to write: not zeroes, different per request */
	memset(buf, 0x5a, bs);
	for (uint64_t i = 0; i < count; i++) {
		if (mode == SEQWRITE)
			memcpy(buf, &i, sizeof(i));
		if (full_io(mode == SEQWRITE, buf, (off_t)(blk * bs)))
			return -1;
		if (++blk == nblocks)
			blk = 0;
	}
	if (mode == SEQWRITE && fdatasync(fd)) {
		perror("hostio: fdatasync");
		return -1;
	}
	return 0;
}

static int run_rand(unsigned int qd, uint32_t seed)
{
	struct worker *w = calloc(qd, sizeof(*w));
	int failed = 0;

	if (!w)
		return -1;
	for (unsigned int i = 0; i < qd; i++) {
		w[i].n = count / qd + (i < count % qd);
		w[i].rnd = seed * 2654435761u + i * 40503u + 1;
		if (!w[i].rnd)
			w[i].rnd = 1;
		if (pthread_create(&w[i].thread, NULL, rand_worker, &w[i])) {
			perror("hostio: pthread_create");
			exit(1);
		}
	}
	for (unsigned int i = 0; i < qd; i++) {
		pthread_join(w[i].thread, NULL);
		failed |= w[i].failed;
	}
	free(w);
	return failed ? -1 : 0;
}

/* a number with an optional K, M or G suffix (powers of 1024) */
static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	if (end == s || *end) {
		fprintf(stderr, "hostio: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: hostio [-B] [-H] -m seqread|seqwrite|randread "
			"[-b BS] [-n COUNT] [-q QD] [-s SEED] FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mname = NULL;
	unsigned int qd = 1;
	uint32_t seed = 1;
	int buffered = 0, c, r;
	struct stat st;
	double t0, secs;

	count = 1000;
	while ((c = getopt(argc, argv, "BHm:b:n:q:s:")) != -1) {
		switch (c) {
		case 'B': buffered = 1; break;
		case 'H': huge = 1; break;
		case 'm': mname = optarg; break;
		case 'b': bs = parse_size(optarg); break;
		case 'n': count = parse_size(optarg); break;
		case 'q': qd = parse_size(optarg); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind + 1 != argc || !mname)
		usage();
	if (!strcmp(mname, "seqread"))
		mode = SEQREAD;
	else if (!strcmp(mname, "seqwrite"))
		mode = SEQWRITE;
	else if (!strcmp(mname, "randread"))
		mode = RANDREAD;
	else
		usage();
	if (bs < 512 || bs % 512 || qd < 1 || qd > 1024 || count < 1 ||
	    (mode != RANDREAD && qd != 1)) {
		fprintf(stderr, "hostio: bs must be a multiple of 512, qd 1..1024 "
				"(1 for sequential), count >= 1\n");
		return 2;
	}
	fd = open(argv[optind], (mode == SEQWRITE ? O_RDWR : O_RDONLY) |
					(buffered ? 0 : O_DIRECT));
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "hostio: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	nblocks = (uint64_t)st.st_size / bs;
	if (!nblocks) {
		fprintf(stderr, "hostio: %s is smaller than one block\n",
			argv[optind]);
		return 1;
	}
	t0 = now();
	r = mode == RANDREAD ? run_rand(qd, seed) : run_seq();
	secs = now() - t0;
	close(fd);
	if (r)
		return 1;
	printf("hostio mode=%s bs=%zu qd=%u%s%s requests=%llu seconds=%.6f "
	       "MBps=%.1f IOPS=%.0f\n",
	       mname, bs, qd, buffered ? " buffered" : "",
	       huge ? " hugepages" : "", (unsigned long long)count, secs,
	       count * (double)bs / secs / 1e6, count / secs);
	return 0;
}
