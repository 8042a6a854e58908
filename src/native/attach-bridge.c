/*
 * minke-attach: bridges conmon's attach socket (AF_UNIX SOCK_SEQPACKET, which Node cannot open)
 * to a plain byte stream.
 *
 *   minke-attach [-n] SOCKET
 *
 * Each message conmon sends is one stream-type byte (2 stdout, 3 stderr) and the payload; it is
 * written to stdout framed as the Docker Engine API's multiplexed stream (8-byte header: stream
 * 1|2, three zero bytes, big-endian length). Bytes read from stdin are sent to the socket, where
 * conmon writes them to the container's stdin; stdin's end shuts the socket's write side, which
 * closes the container's stdin. With -n stdin is not read. Once connected it writes "+\n" to
 * stderr (errors before that are plain text there). Exits when conmon closes the socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int write_all(int fd, const unsigned char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

int main(int argc, char **argv) {
  int forward_stdin = 1;
  int argi = 1;
  if (argi < argc && strcmp(argv[argi], "-n") == 0) {
    forward_stdin = 0;
    argi++;
  }
  if (argi >= argc) {
    fprintf(stderr, "usage: minke-attach [-n] SOCKET\n");
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  const char *path = argv[argi];
  if (strlen(path) >= sizeof addr.sun_path) {
    /* Longer than sun_path allows: reach it through an open descriptor of its directory. */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) >= sizeof dir) {
      fprintf(stderr, "minke-attach: socket path too long: %s\n", path);
      return 2;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = 0;
    int dfd = open(dir[0] ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      fprintf(stderr, "minke-attach: open %s: %s\n", dir, strerror(errno));
      return 1;
    }
    if (snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dfd, slash + 1) >= (int)sizeof addr.sun_path) {
      fprintf(stderr, "minke-attach: socket path too long: %s\n", path);
      return 2;
    }
  } else {
    strcpy(addr.sun_path, path);
  }
  int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof addr) < 0) {
    fprintf(stderr, "minke-attach: connect %s: %s\n", argv[argi], strerror(errno));
    return 1;
  }
  /* Tell the parent the connection is up (one "+" line on stderr): output from here on is not lost. */
  if (write(2, "+\n", 2) < 0) return 1;
  /* The socket is non-blocking: input waits in `pending` while conmon cannot take it, and its
   * output is still read meanwhile (a blocking send here while conmon blocks writing to us was a
   * deadlock with large inputs). */
  if (fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK) < 0) return 1;
  static unsigned char buf[65536 + 8];
  static unsigned char pending[32768];
  size_t pending_len = 0;
  int input_done = !forward_stdin;
  int shut = 0;
  for (;;) {
    struct pollfd fds[2] = {
        {.fd = sock, .events = POLLIN | (pending_len ? POLLOUT : 0)},
        {.fd = (input_done || pending_len) ? -1 : 0, .events = POLLIN},
    };
    if (input_done && !pending_len && forward_stdin && !shut) {
      shutdown(sock, SHUT_WR);
      shut = 1;
    }
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = recv(sock, buf + 7, sizeof buf - 7, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) goto input;
      if (n <= 0) return 0;
      if (n == 1) goto input;
      uint32_t len = (uint32_t)(n - 1);
      unsigned char type = buf[7] == 3 ? 2 : 1;
      unsigned char *frame = buf;
      frame[0] = type;
      frame[1] = frame[2] = frame[3] = 0;
      frame[4] = (unsigned char)(len >> 24);
      frame[5] = (unsigned char)(len >> 16);
      frame[6] = (unsigned char)(len >> 8);
      frame[7] = (unsigned char)len;
      /* the payload already follows at buf + 8 (buf[7] held the type byte) */
      if (write_all(1, frame, (size_t)len + 8) < 0) return 1;
    }
  input:
    if (pending_len && (fds[0].revents & POLLOUT)) {
      if (send(sock, pending, pending_len, MSG_NOSIGNAL) < 0) {
        if (errno != EAGAIN && errno != EINTR) return 1;
      } else {
        pending_len = 0;
      }
    }
    if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(0, pending, sizeof pending);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        input_done = 1;
        continue;
      }
      pending_len = (size_t)n;
      /* try at once; what the socket cannot take now waits for POLLOUT */
      if (send(sock, pending, pending_len, MSG_NOSIGNAL) < 0) {
        if (errno != EAGAIN && errno != EINTR) return 1;
      } else {
        pending_len = 0;
      }
    }
  }
}
