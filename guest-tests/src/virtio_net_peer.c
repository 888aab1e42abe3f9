/*
 * Host side of the virtio-net guest tests (a hosted program, libc only):
 * the other end of the guest's tap.  guest-tests/run.sh runs it inside the
 * network namespace it created for the test, next to kvmini:
 *
 *   virtio_net_peer IFNAME CONSOLE_FILE GUEST_MAC [TIMEOUT_S]
 *
 * Waits for IFNAME (kvmini creates the tap), opens an AF_PACKET socket
 * bound to it for EtherType 0x88b5 only, and then, until the guest's
 * final line ("PASS virtio_net...", "FAIL virtio_net..." or "main
 * returned") shows up in CONSOLE_FILE (kvmini's output) or TIMEOUT_S
 * (default 60) passes:
 *
 *   - prints every frame the guest sends:
 *       frame src=MAC dst=MAC len=N payload=KVMINI-TX-<n> ok|bad@OFFSET
 *     (ok: a test frame of lib/net_frame.h, right contents and length)
 *   - follows the console: for each line "net...: inject N" injects the
 *     next N test frames KVMINI-RX-<seq> (seq counts from 0 over the run)
 *     to GUEST_MAC and prints "injected KVMINI-RX-<seq> len N".
 *
 * Frames only ever go out on IFNAME, which lives in the test's namespace.
 * Exit status 0, or 1 on a timeout or a setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net_frame.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void mac_str(const uint8_t *m, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
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

/* one frame from the guest */
static void report(const uint8_t *f, size_t len)
{
	char src[18], dst[18], text[NF_TEXT_MAX + 1] = "-";
	char tag[3] = { 0 };
	unsigned int seq;
	uint32_t bad = 1;
	size_t i;

	if (len < NF_ETH_HLEN) {
		printf("frame runt len=%zu\n", len);
		return;
	}
	mac_str(f + 6, src);
	mac_str(f, dst);
	for (i = 0; i < NF_TEXT_MAX && NF_ETH_HLEN + i < len; i++) {
		uint8_t c = f[NF_ETH_HLEN + i];

		if (!c)
			break;
		text[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	text[i ? i : 1] = 0;
	if (sscanf(text, "KVMINI-%2[A-Z]-%u", tag, &seq) == 2)
		bad = nf_check(f, len, tag, seq,
			       strcmp(tag, "RX") ? nf_tx_len(seq)
						 : nf_rx_len(seq));
	if (bad)
		printf("frame src=%s dst=%s len=%zu payload=%s bad@%u\n", src,
		       dst, len, text, bad - 1);
	else
		printf("frame src=%s dst=%s len=%zu payload=%s ok\n", src, dst,
		       len, text);
}

int main(int argc, char **argv)
{
	static uint8_t buf[65536 + 64];
	const char *ifname, *console;
	uint8_t guest[6], peer[6] = NF_PEER_MAC;
	char line[512];
	size_t line_len = 0;
	unsigned int ifindex = 0, seq = 0, seen = 0;
	double deadline, end = 0;
	struct sockaddr_ll sll = { 0 };
	int s, fd = -1;

	if (argc < 4 || argc > 5 || parse_mac(argv[3], guest)) {
		fprintf(stderr, "usage: %s IFNAME CONSOLE_FILE GUEST_MAC "
				"[TIMEOUT_S]\n",
			argv[0]);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ifname = argv[1];
	console = argv[2];
	deadline = now() + (argc == 5 ? atof(argv[4]) : 60);

	while (!(ifindex = if_nametoindex(ifname))) {
		if (now() > deadline) {
			printf("peer: timeout: no interface %s\n", ifname);
			return 1;
		}
		usleep(10000);
	}
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(NF_ETHERTYPE));
	if (s < 0) {
		printf("peer: AF_PACKET socket: %s\n", strerror(errno));
		return 1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(NF_ETHERTYPE);
	sll.sll_ifindex = (int)ifindex;
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll))) {
		printf("peer: bind to %s: %s\n", ifname, strerror(errno));
		return 1;
	}
	printf("peer: listening on %s (ifindex %u)\n", ifname, ifindex);

	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		double t = now();
		ssize_t n;

		if (end && t > end)
			break;
		if (t > deadline) {
			printf("peer: timeout: no final line from the guest\n");
			break;
		}
		poll(&p, 1, 10);
		/* frames from the guest (our own injections are OUTGOING) */
		for (;;) {
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);

			n = recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
			if (n < 0)
				break;
			if (from.sll_pkttype == PACKET_OUTGOING)
				continue;
			seen++;
			report(buf, (size_t)n);
		}
		/* the console: new lines only */
		if (fd < 0)
			fd = open(console, O_RDONLY | O_CLOEXEC);
		while (fd >= 0 && !end) {
			char c;

			if (read(fd, &c, 1) != 1)
				break;
			if (c != '\n') {
				if (line_len < sizeof(line) - 1)
					line[line_len++] = c;
				continue;
			}
			line[line_len] = 0;
			line_len = 0;
			if (!strncmp(line, "PASS virtio_net", 15) ||
			    !strncmp(line, "FAIL virtio_net", 15) ||
			    !strncmp(line, "main returned", 13)) {
				end = now() + 0.3; /* frames still in flight */
			} else if (!strncmp(line, "net", 3) &&
				   strstr(line, ": inject ")) {
				unsigned int k = atoi(strstr(line, ": inject ") + 9);

				for (; k; k--, seq++) {
					uint32_t len = nf_rx_len(seq);

					nf_build(buf, len, guest, peer, "RX", seq);
					if (send(s, buf, len, 0) != (ssize_t)len)
						printf("peer: inject KVMINI-RX-%u: "
						       "%s\n",
						       seq, strerror(errno));
					else
						printf("injected KVMINI-RX-%u len "
						       "%u\n",
						       seq, len);
				}
			}
		}
	}
	printf("peer: injected %u frames, saw %u from the guest\n", seq, seen);
	return end ? 0 : 1;
}
