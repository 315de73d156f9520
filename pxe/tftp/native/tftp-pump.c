/*
 * Anvil's TFTP data pump (ADR 0028): the per-block half of a read transfer,
 * in C, on one thread per Node environment.
 *
 * Why native: a lock-step client (curl, tftp-hpa, most firmware) costs the
 * server one receive and one send per block. In Node each of those is an
 * event-loop turn, a `message` event and a SendWrap: about 43 us of CPU per
 * block against 18-20 us for tftpd-hpa and dnsmasq (ADR 0027). Here one
 * thread waits on every transfer socket with epoll, as dnsmasq does, and
 * calls back into JavaScript once per transfer, when it ends.
 *
 * What stays in TypeScript: request decoding, file confinement, option
 * negotiation and the OACK's bytes (pxe/tftp/server.ts, options.ts). The
 * JavaScript thread only queues a transfer; the pump opens its socket, so a
 * burst of requests costs the event loop no socket(2), bind(2) or connect(2)
 * (ADR 0031), and every finished transfer comes back through one shared
 * thread-safe function. What lives here is exactly read-transfer.ts's state
 * machine, rule for rule, so
 * either engine can serve a transfer (pxe/tftp/native-transfer.ts):
 *   - RFC 1350 s4: a fresh socket per transfer, connected to the client's
 *     TID (ADR 0020), so the kernel delivers only the client's packets.
 *   - RFC 2347 s4: the OACK is block 0, acknowledged by ACK 0; it is
 *     repeated only after `oackPatienceMs` (atftp aborts on a second OACK).
 *   - RFC 7440: windows of `windowSize` blocks; an ACK acknowledges up to its
 *     block and the pump resends from the block after it.
 *   - RFC 1123 s4.2.3.1: in lock-step a duplicate ACK never triggers a resend
 *     (Sorcerer's Apprentice); s4.2.3.2: retransmission backs off
 *     exponentially, capped at 10 s or the base timeout if larger.
 *   - Block numbers wrap past 65535 to 0 on the wire (block-window.ts).
 *
 * Bytes come from a Buffer the JavaScript side keeps alive (the in-memory
 * cache, netascii copies) or from a file descriptor it opened and closes
 * after the transfer, read ahead 64 KiB at a time with pread(2): one system
 * call per ~44 blocks of 1468 bytes instead of one per block.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_BACKOFF_MS 10000
#define OP_DATA 3
#define OP_ACK 4
#define OP_ERROR 5
/* A client packet worth reading whole: ACKs are 4 bytes, ERRORs carry a short message. */
#define RECV_BYTES 1024
/*
 * Packets read from one socket per wake-up. One: epoll is level-triggered, so
 * a socket with more waiting is reported again at once, and a lock-step
 * transfer (one ACK per block) does not pay a second recv(2) that can only
 * answer EAGAIN. It also keeps one chatty client from starving the rest.
 */
#define RECV_BURST 1

enum outcome { OUT_RUNNING = -1, OUT_COMPLETED, OUT_ABORTED, OUT_TIMED_OUT, OUT_CANCELLED, OUT_FAILED };
static const char *const OUTCOME_NAMES[] = {"completed", "aborted", "timed-out", "cancelled", "failed"};

typedef struct pump pump;

typedef struct transfer {
  struct transfer *next; /* pump->pending (under the mutex), then pump->active (pump thread only) */
  int sock;              /* opened by the pump thread (start), -1 before and after */
  struct in_addr local, peer;
  uint16_t peer_port;
  int file_fd; /* -1 when the bytes are in `mem`; never closed here */
  const uint8_t *mem;
  napi_ref mem_ref;
  uint64_t size;
  uint64_t last_block; /* blocks in the file: a final short, possibly empty, block ends it (RFC 1350 s6) */
  uint64_t acked;      /* highest block acknowledged; the OACK counts as block 0 */
  uint64_t sent;       /* highest block sent */
  uint64_t next_block; /* next block the pump sends */
  uint32_t blksize, window, timeout_ms, oack_patience_ms, max_retries, retries;
  uint32_t busy_poll_us; /* how long the pump may spin for this transfer's packets (ADR 0029) */
  uint8_t *oack;
  size_t oack_len;
  uint8_t *chunk; /* read-ahead from the file: whole blocks, at least one */
  size_t chunk_cap;
  uint64_t chunk_off; /* file offset of chunk[0] */
  size_t chunk_len;   /* bytes valid in chunk */
  int awaiting_oack_ack; /* read by the JavaScript thread: __atomic */
  int cancel_requested;  /* written by the JavaScript thread: __atomic */
  int armed;
  uint64_t deadline_ms;
  int outcome;
  char detail[160];
  uint64_t data_sent, bytes_sent, retransmits, malformed;
  napi_ref on_done; /* the JavaScript callback, called once through pump->done */
  int refs; /* touched on the JavaScript thread only: its handle, and the pump until the result is delivered */
} transfer;

struct pump {
  pthread_mutex_t mu;
  int epfd;
  int evfd;
  pthread_t thread;
  int started;
  int stopping;      /* under mu */
  transfer *pending; /* under mu */
  transfer *active;  /* pump thread only */
  /*
   * Every finished transfer is handed back through this one function, created
   * at the first start. It keeps the event loop alive only while a transfer is
   * out (`js_active`, JavaScript thread only), as a pending socket would; one
   * per transfer cost a uv_async handle each, and libuv looks at every async
   * handle on each wake-up.
   */
  napi_threadsafe_function done;
  int js_active;
};

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t now_ms(void) { return now_us() / 1000u; }

static void wake(pump *p) {
  uint64_t one = 1;
  ssize_t r = write(p->evfd, &one, sizeof one);
  (void)r; /* a full counter still wakes the pump */
}

static void transfer_free(transfer *t, napi_env env) {
  if (t->mem_ref != NULL && env != NULL) napi_delete_reference(env, t->mem_ref);
  if (t->on_done != NULL && env != NULL) napi_delete_reference(env, t->on_done);
  if (t->sock >= 0) close(t->sock);
  free(t->oack);
  free(t->chunk);
  free(t);
}

static void transfer_unref(transfer *t, napi_env env) {
  if (--t->refs == 0) transfer_free(t, env);
}

/* ---- the state machine (pump thread only) ---- */

static void finish(transfer *t, int outcome, const char *detail) {
  if (t->outcome != OUT_RUNNING) return;
  t->outcome = outcome;
  snprintf(t->detail, sizeof t->detail, "%s", detail != NULL ? detail : "");
  t->armed = 0;
  if ((outcome == OUT_TIMED_OUT || outcome == OUT_FAILED) && t->sock >= 0) {
    /* RFC 1350 s7: tell the client why, best effort (ERROR 0, "not defined"). */
    const char *msg = outcome == OUT_TIMED_OUT ? "Transfer timed out" : "Read error";
    uint8_t buf[64];
    size_t n = strlen(msg);
    buf[0] = 0;
    buf[1] = OP_ERROR;
    buf[2] = 0;
    buf[3] = 0;
    memcpy(buf + 4, msg, n);
    buf[4 + n] = 0;
    ssize_t r = send(t->sock, buf, 5 + n, MSG_DONTWAIT);
    (void)r;
  }
  __atomic_store_n(&t->awaiting_oack_ack, 0, __ATOMIC_RELAXED);
}

static void finish_errno(transfer *t, const char *what, int err) {
  /* A connected UDP socket reports the client's ICMP port unreachable as ECONNREFUSED: the client is gone (ADR 0020). */
  if (err == ECONNREFUSED) {
    finish(t, OUT_ABORTED, "client port unreachable");
    return;
  }
  char detail[128];
  snprintf(detail, sizeof detail, "%s: %s", what, strerror(err));
  finish(t, OUT_FAILED, detail);
}

static void arm(transfer *t) {
  uint64_t base = t->timeout_ms;
  uint64_t cap = base > MAX_BACKOFF_MS ? base : MAX_BACKOFF_MS;
  uint64_t backoff = t->retries >= 20 ? cap : base << t->retries;
  if (backoff > cap) backoff = cap;
  uint64_t interval = backoff;
  if (__atomic_load_n(&t->awaiting_oack_ack, __ATOMIC_RELAXED) && interval < t->oack_patience_ms) interval = t->oack_patience_ms;
  t->deadline_ms = now_ms() + interval;
  t->armed = 1;
}

/* A send the kernel could not take now (full buffer) is a lost packet: the retransmission timer covers it. */
static int send_failed(transfer *t, ssize_t r, const char *what) {
  if (r >= 0) return 0;
  int err = errno;
  if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == EINTR) return 0;
  finish_errno(t, what, err);
  return 1;
}

static void send_oack(transfer *t) {
  ssize_t r = send(t->sock, t->oack, t->oack_len, MSG_DONTWAIT);
  if (send_failed(t, r, "send OACK")) return;
  arm(t);
}

/*
 * Points *bytes at `len` bytes of the file from `offset`, reading ahead a
 * chunk of whole blocks when they are not in hand. A lock-step transfer reads
 * forward, so one pread(2) serves many blocks; a resend of an older block
 * (after a window's ACK) reads its chunk again.
 */
static int file_bytes(transfer *t, uint64_t offset, size_t len, const uint8_t **bytes) {
  if (offset < t->chunk_off || offset + len > t->chunk_off + t->chunk_len) {
    size_t want = t->chunk_cap;
    if (offset + want > t->size) want = (size_t)(t->size - offset);
    size_t got = 0;
    while (got < want) {
      ssize_t n = pread(t->file_fd, t->chunk + got, want - got, (off_t)(offset + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        finish_errno(t, "read", errno);
        return 1;
      }
      if (n == 0) break;
      got += (size_t)n;
    }
    t->chunk_off = offset;
    t->chunk_len = got;
    if (got < len) {
      t->chunk_len = 0;
      finish(t, OUT_FAILED, "read: file shrank during the transfer");
      return 1;
    }
  }
  *bytes = t->chunk + (offset - t->chunk_off);
  return 0;
}

static int send_data(transfer *t, uint64_t block) {
  uint64_t offset = (block - 1) * (uint64_t)t->blksize;
  size_t len = offset >= t->size ? 0 : (size_t)(t->size - offset < t->blksize ? t->size - offset : t->blksize);
  uint8_t hdr[4] = {0, OP_DATA, (uint8_t)((block >> 8) & 0xff), (uint8_t)(block & 0xff)};
  const uint8_t *bytes = t->mem != NULL ? t->mem + offset : NULL;
  if (bytes == NULL && len > 0 && file_bytes(t, offset, len, &bytes) != 0) return 1;
  struct iovec iov[2] = {{hdr, 4}, {(void *)bytes, len}};
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = iov;
  mh.msg_iovlen = len > 0 ? 2 : 1;
  ssize_t r = sendmsg(t->sock, &mh, MSG_DONTWAIT);
  if (send_failed(t, r, "send DATA")) return 1;
  t->data_sent++;
  t->bytes_sent += len;
  if (block > t->sent) t->sent = block;
  t->next_block = block + 1;
  return 0;
}

/* Sends blocks from next_block to the end of the current window (RFC 7440). */
static void pump_window(transfer *t) {
  uint64_t end = t->acked + t->window;
  if (end > t->last_block) end = t->last_block;
  int sent_some = 0;
  while (t->next_block <= end) {
    if (send_data(t, t->next_block)) return;
    sent_some = 1;
  }
  if (sent_some) arm(t);
}

static void on_ack(transfer *t, uint16_t wire) {
  if (__atomic_load_n(&t->awaiting_oack_ack, __ATOMIC_RELAXED)) {
    /* RFC 2347 s4: the client acknowledges the OACK with ACK 0. */
    if (wire != 0) return;
    __atomic_store_n(&t->awaiting_oack_ack, 0, __ATOMIC_RELAXED);
    t->retries = 0;
    pump_window(t);
    return;
  }
  /* block-window.ts ackedBlock: the absolute block in [acked, sent] whose low 16 bits are `wire`. */
  uint64_t diff = (uint64_t)(((uint32_t)wire - (uint32_t)(t->acked & 0xffff) + 0x10000u) & 0xffffu);
  if (diff > t->sent - t->acked) return;
  uint64_t block = t->acked + diff;
  if (block == t->acked) {
    /* RFC 1123 s4.2.3.1: no resend on a duplicate ACK in lock-step (Sorcerer's Apprentice).
       RFC 7440 s4: with a window it means the block after it was lost: resend from there. */
    if (t->window == 1) return;
    t->retransmits++;
  }
  if (block > t->acked) t->retries = 0;
  t->acked = block;
  if (t->acked >= t->last_block) {
    finish(t, OUT_COMPLETED, NULL);
    return;
  }
  t->next_block = t->acked + 1;
  pump_window(t);
}

static void on_timeout(transfer *t) {
  t->armed = 0;
  if (++t->retries > t->max_retries) {
    char detail[64];
    snprintf(detail, sizeof detail, "no ACK after %u retries", t->max_retries);
    finish(t, OUT_TIMED_OUT, detail);
    return;
  }
  t->retransmits++;
  if (__atomic_load_n(&t->awaiting_oack_ack, __ATOMIC_RELAXED)) {
    send_oack(t);
    return;
  }
  t->next_block = t->acked + 1;
  pump_window(t);
}

static void on_readable(transfer *t) {
  uint8_t buf[RECV_BYTES];
  for (int i = 0; i < RECV_BURST && t->outcome == OUT_RUNNING; i++) {
    ssize_t n = recv(t->sock, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      finish_errno(t, "receive", errno);
      return;
    }
    uint16_t op = n >= 2 ? (uint16_t)((buf[0] << 8) | buf[1]) : 0;
    if (n == 4 && op == OP_ACK) {
      on_ack(t, (uint16_t)((buf[2] << 8) | buf[3]));
    } else if (n >= 4 && op == OP_ERROR) {
      /* RFC 2347 s4 / RFC 1350 s7: the client ends the transfer (EDK2 does so right after the OACK). */
      char detail[32];
      snprintf(detail, sizeof detail, "client error %u", (unsigned)((buf[2] << 8) | buf[3]));
      finish(t, OUT_ABORTED, detail);
    } else {
      /* RFC 1350 s5: an ACK is exactly 4 bytes; anything else from the client is dropped and counted. */
      t->malformed++;
    }
  }
}

static void start(pump *p, transfer *t) {
  /* RFC 1350 s4: the server's TID is a fresh port on the address the request reached, connected to the client's (ADR 0020). */
  t->sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (t->sock < 0) {
    finish_errno(t, "socket", errno);
    return;
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0, .sin_addr = t->local};
  if (bind(t->sock, (struct sockaddr *)&sa, sizeof sa) != 0) {
    finish_errno(t, "bind", errno);
    return;
  }
  struct sockaddr_in pa = {.sin_family = AF_INET, .sin_port = htons(t->peer_port), .sin_addr = t->peer};
  if (connect(t->sock, (struct sockaddr *)&pa, sizeof pa) != 0) {
    finish_errno(t, "connect", errno);
    return;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data = {.ptr = t}};
  if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, t->sock, &ev) != 0) {
    finish_errno(t, "epoll_ctl", errno);
    return;
  }
  if (t->oack != NULL) {
    send_oack(t);
  } else {
    pump_window(t);
  }
}

/* Hands a finished transfer's result to JavaScript; the call_js side drops the pump's reference. */
static void deliver(pump *p, transfer *t) {
  if (t->sock >= 0) {
    epoll_ctl(p->epfd, EPOLL_CTL_DEL, t->sock, NULL);
    close(t->sock);
    t->sock = -1;
  }
  /* The queue is unbounded, so this never blocks; it fails only while the environment is torn down. */
  napi_call_threadsafe_function(p->done, t, napi_tsfn_blocking);
}

static void *pump_main(void *arg) {
  pump *p = arg;
  struct epoll_event evs[64];
  uint64_t last_packet_us = 0;
  for (;;) {
    int timeout = -1;
    uint32_t busy_poll_us = 0;
    int running = 0;
    uint64_t now = now_ms();
    for (transfer *t = p->active; t != NULL; t = t->next) {
      running++;
      if (t->busy_poll_us > busy_poll_us) busy_poll_us = t->busy_poll_us;
      if (!t->armed) continue;
      int64_t left = t->deadline_ms > now ? (int64_t)(t->deadline_ms - now) : 0;
      if (timeout < 0 || left < timeout) timeout = (int)left;
    }
    /*
     * Busy polling (ADR 0029): for busy_poll_us after the last packet, look
     * again without sleeping. A sleeping pump is woken by the sender of the
     * next ACK, and that wake-up (and the context switch) costs more than the
     * answer itself when the next ACK is microseconds away, as it is with many
     * lock-step transfers in flight. Linux's own SO_BUSY_POLL makes the same
     * trade: CPU time for latency, for a bounded time after traffic. A lone
     * transfer's next ACK is a whole round trip away (hundreds of us from
     * firmware), so with one transfer the pump sleeps at once.
     */
    if (busy_poll_us > 0 && running >= 2 && timeout != 0 && now_us() - last_packet_us < busy_poll_us) timeout = 0;
    int n = epoll_wait(p->epfd, evs, 64, timeout);
    if (n < 0 && errno != EINTR) break;
    /*
     * A spin that found nothing gives the CPU to any other runnable task on
     * it before looking again, as the kernel's own busy loop stops at
     * need_resched(): a client on the same machine, or the API server beside
     * the manager, runs instead of the pump's empty polls (ADR 0029).
     */
    if (n == 0 && timeout == 0) sched_yield();
    if (n > 0 && busy_poll_us > 0) last_packet_us = now_us();
    int commands = 0;
    for (int i = 0; i < n; i++) {
      transfer *t = evs[i].data.ptr;
      if (t == NULL) {
        uint64_t v;
        ssize_t r = read(p->evfd, &v, sizeof v);
        (void)r;
        commands = 1;
      } else if (t->outcome == OUT_RUNNING) {
        on_readable(t);
      }
    }
    if (commands) {
      pthread_mutex_lock(&p->mu);
      transfer *fresh = p->pending;
      p->pending = NULL;
      int stopping = p->stopping;
      pthread_mutex_unlock(&p->mu);
      if (stopping) {
        /* The environment is going away: nothing is delivered any more; transfer memory goes with the process. */
        for (transfer *t = p->active; t != NULL; t = t->next) {
          if (t->sock >= 0) close(t->sock);
          t->sock = -1;
        }
        return NULL;
      }
      /* pending is newest first: start the oldest request first. */
      transfer *oldest_first = NULL;
      while (fresh != NULL) {
        transfer *t = fresh;
        fresh = t->next;
        t->next = oldest_first;
        oldest_first = t;
      }
      while (oldest_first != NULL) {
        transfer *t = oldest_first;
        oldest_first = t->next;
        t->next = p->active;
        p->active = t;
        start(p, t);
      }
      for (transfer *t = p->active; t != NULL; t = t->next) {
        if (__atomic_load_n(&t->cancel_requested, __ATOMIC_RELAXED)) finish(t, OUT_CANCELLED, NULL);
      }
    }
    now = now_ms();
    for (transfer **link = &p->active; *link != NULL;) {
      transfer *t = *link;
      if (t->outcome == OUT_RUNNING && t->armed && t->deadline_ms <= now) on_timeout(t);
      if (t->outcome != OUT_RUNNING) {
        *link = t->next;
        deliver(p, t);
      } else {
        link = &t->next;
      }
    }
  }
  return NULL;
}

/* ---- the JavaScript side ---- */

/* Throws N-API's own description of the call that just failed. */
static void throw_napi_failure(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, "TFTP_PUMP_NAPI", info && info->error_message ? info->error_message : "N-API call failed");
}

#define CHECK(env, call)          \
  do {                            \
    if ((call) != napi_ok) {      \
      throw_napi_failure(env);    \
      return NULL;                \
    }                             \
  } while (0)

/* CHECK once a transfer is allocated: the failure path frees it too. */
#define CHECK_T(env, t, call)     \
  do {                            \
    if ((call) != napi_ok) {      \
      throw_napi_failure(env);    \
      transfer_free((t), (env));  \
      return NULL;                \
    }                             \
  } while (0)

static void pump_cleanup(void *arg) {
  pump *p = arg;
  pthread_mutex_lock(&p->mu);
  p->stopping = 1;
  int started = p->started;
  pthread_mutex_unlock(&p->mu);
  if (started) {
    wake(p);
    pthread_join(p->thread, NULL);
  }
  close(p->epfd);
  close(p->evfd);
  pthread_mutex_destroy(&p->mu);
  free(p);
}

static void call_js(napi_env env, napi_value js_cb, void *context, void *data) {
  (void)js_cb; /* the shared function has none: each transfer carries its own */
  pump *p = context;
  transfer *t = data;
  napi_value cb = NULL;
  if (env != NULL && t->on_done != NULL && napi_get_reference_value(env, t->on_done, &cb) == napi_ok && cb != NULL) {
    napi_value argv[3], undef, stats, v;
    napi_get_undefined(env, &undef);
    napi_create_string_utf8(env, OUTCOME_NAMES[t->outcome], NAPI_AUTO_LENGTH, &argv[0]);
    napi_create_string_utf8(env, t->detail, NAPI_AUTO_LENGTH, &argv[1]);
    napi_create_object(env, &stats);
    napi_create_double(env, (double)t->data_sent, &v);
    napi_set_named_property(env, stats, "dataPacketsSent", v);
    napi_create_double(env, (double)t->bytes_sent, &v);
    napi_set_named_property(env, stats, "bytesSent", v);
    napi_create_double(env, (double)t->retransmits, &v);
    napi_set_named_property(env, stats, "retransmits", v);
    napi_create_double(env, (double)t->malformed, &v);
    napi_set_named_property(env, stats, "malformedDropped", v);
    argv[2] = stats;
    napi_call_function(env, undef, cb, 3, argv, NULL);
  }
  if (env != NULL && --p->js_active == 0) napi_unref_threadsafe_function(env, p->done);
  /* The Buffer may go now that the transfer is over. */
  if (t->mem_ref != NULL && env != NULL) {
    napi_delete_reference(env, t->mem_ref);
    t->mem_ref = NULL;
    t->mem = NULL;
  }
  transfer_unref(t, env);
}

static void handle_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  transfer_unref(data, env);
}

static int get_u32(napi_env env, napi_value obj, const char *name, uint32_t *out) {
  napi_value v;
  double d;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 4294967295.0) {
    char msg[96];
    snprintf(msg, sizeof msg, "option %s must be a number in 0..2^32-1", name);
    napi_throw_type_error(env, "TFTP_PUMP_BAD_OPTION", msg);
    return 0;
  }
  *out = (uint32_t)d;
  return 1;
}

/* An optional option: absent (undefined) reads as 0. */
static int get_u32_or_zero(napi_env env, napi_value obj, const char *name, uint32_t *out) {
  napi_value v;
  napi_valuetype type;
  if (napi_get_named_property(env, obj, name, &v) == napi_ok && napi_typeof(env, v, &type) == napi_ok && type == napi_undefined) {
    *out = 0;
    return 1;
  }
  return get_u32(env, obj, name, out);
}

static int get_size(napi_env env, napi_value obj, const char *name, uint64_t *out) {
  napi_value v;
  double d;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_double(env, v, &d) != napi_ok || d < 0 || d > 9007199254740991.0 || d != (double)(uint64_t)d) {
    char msg[96];
    snprintf(msg, sizeof msg, "option %s must be a whole number of bytes", name);
    napi_throw_type_error(env, "TFTP_PUMP_BAD_OPTION", msg);
    return 0;
  }
  *out = (uint64_t)d;
  return 1;
}

static int get_ipv4(napi_env env, napi_value obj, const char *name, struct in_addr *out) {
  napi_value v;
  char s[64];
  size_t len = 0;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok || napi_get_value_string_utf8(env, v, s, sizeof s, &len) != napi_ok || inet_pton(AF_INET, s, out) != 1) {
    char msg[96];
    snprintf(msg, sizeof msg, "option %s must be an IPv4 address", name);
    napi_throw_type_error(env, "TFTP_PUMP_BAD_OPTION", msg);
    return 0;
  }
  return 1;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[128];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "TFTP_PUMP_SOCKET", msg);
  return NULL;
}

/*
 * start(options, onDone) -> handle. Queues the transfer on the pump, which
 * binds its fresh socket on localAddress and connects it to the client (ADR
 * 0020), and returns at once. onDone(outcome, detail, stats) runs once, on
 * this thread; a socket that cannot be opened ends the transfer "failed".
 */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, "TFTP_PUMP_BAD_OPTION", "start(options, onDone) takes two arguments");
    return NULL;
  }
  pump *p = NULL;
  CHECK(env, napi_get_instance_data(env, (void **)&p));
  uint32_t peer_port, blksize, window, timeout_ms, max_retries, patience, busy_poll_us;
  uint64_t size;
  struct in_addr local, peer;
  napi_value opts = argv[0];
  if (!get_ipv4(env, opts, "localAddress", &local) || !get_ipv4(env, opts, "peerAddress", &peer) || !get_u32(env, opts, "peerPort", &peer_port) ||
      !get_size(env, opts, "size", &size) || !get_u32(env, opts, "blockSize", &blksize) ||
      !get_u32(env, opts, "windowSize", &window) || !get_u32(env, opts, "timeoutMs", &timeout_ms) || !get_u32(env, opts, "maxRetries", &max_retries) ||
      !get_u32(env, opts, "oackPatienceMs", &patience) || !get_u32_or_zero(env, opts, "busyPollMicros", &busy_poll_us))
    return NULL;
  if (blksize < 8 || blksize > 65464 || window < 1 || window > 65535 || peer_port == 0 || peer_port > 65535) {
    napi_throw_range_error(env, "TFTP_PUMP_BAD_OPTION", "blockSize must be 8..65464 (RFC 2348), windowSize 1..65535 (RFC 7440), peerPort 1..65535");
    return NULL;
  }
  transfer *t = calloc(1, sizeof *t);
  if (t == NULL) {
    napi_throw_error(env, "TFTP_PUMP_NOMEM", "out of memory");
    return NULL;
  }
  t->sock = -1;
  t->file_fd = -1;
  t->outcome = OUT_RUNNING;
  t->refs = 1; /* the JavaScript handle; the pump's is added once it is queued */
  t->size = size;
  t->blksize = blksize;
  t->window = window;
  t->timeout_ms = timeout_ms;
  t->max_retries = max_retries;
  t->oack_patience_ms = patience;
  t->busy_poll_us = busy_poll_us > 1000000 ? 1000000 : busy_poll_us;
  t->last_block = t->size / blksize + 1;
  t->next_block = 1;

  napi_value v;
  napi_valuetype type;
  bool is_buffer = false;
  CHECK_T(env, t, napi_get_named_property(env, opts, "buffer", &v));
  CHECK_T(env, t, napi_is_buffer(env, v, &is_buffer));
  if (is_buffer) {
    void *data = NULL;
    size_t len = 0;
    CHECK_T(env, t, napi_get_buffer_info(env, v, &data, &len));
    if (len < t->size) {
      transfer_free(t, env);
      napi_throw_range_error(env, "TFTP_PUMP_BAD_OPTION", "buffer is shorter than size");
      return NULL;
    }
    t->mem = data;
    CHECK_T(env, t, napi_create_reference(env, v, 1, &t->mem_ref));
  } else {
    uint32_t fd;
    if (!get_u32(env, opts, "fd", &fd)) {
      transfer_free(t, env);
      return NULL;
    }
    t->file_fd = (int)fd;
    /* 64 KiB of whole blocks, and never less than one block (RFC 2348 allows 65464). */
    size_t blocks = 65536 / blksize > 0 ? 65536 / blksize : 1;
    t->chunk_cap = blocks * (size_t)blksize;
    t->chunk = malloc(t->chunk_cap);
    if (t->chunk == NULL) {
      transfer_free(t, env);
      napi_throw_error(env, "TFTP_PUMP_NOMEM", "out of memory");
      return NULL;
    }
  }
  CHECK_T(env, t, napi_get_named_property(env, opts, "oack", &v));
  CHECK_T(env, t, napi_is_buffer(env, v, &is_buffer));
  if (is_buffer) {
    void *data = NULL;
    size_t len = 0;
    CHECK_T(env, t, napi_get_buffer_info(env, v, &data, &len));
    t->oack = malloc(len > 0 ? len : 1);
    if (t->oack == NULL) {
      transfer_free(t, env);
      napi_throw_error(env, "TFTP_PUMP_NOMEM", "out of memory");
      return NULL;
    }
    memcpy(t->oack, data, len);
    t->oack_len = len;
    /* Set before the pump sees it, so the server's EDK2 check (server.ts replacePendingFrom) reads it at once. */
    t->awaiting_oack_ack = 1;
  }
  CHECK_T(env, t, napi_typeof(env, argv[1], &type));
  if (type != napi_function) {
    transfer_free(t, env);
    napi_throw_type_error(env, "TFTP_PUMP_BAD_OPTION", "onDone must be a function");
    return NULL;
  }

  t->local = local;
  t->peer = peer;
  t->peer_port = (uint16_t)peer_port;
  CHECK_T(env, t, napi_create_reference(env, argv[1], 1, &t->on_done));
  if (p->done == NULL) {
    napi_value name;
    CHECK_T(env, t, napi_create_string_utf8(env, "anvil-tftp-transfers", NAPI_AUTO_LENGTH, &name));
    CHECK_T(env, t, napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, p, call_js, &p->done));
    /* Held (ref) only while transfers are out: an idle pump keeps no process alive. */
    CHECK_T(env, t, napi_unref_threadsafe_function(env, p->done));
  }
  napi_value handle;
  if (napi_create_external(env, t, handle_finalize, NULL, &handle) != napi_ok) {
    transfer_free(t, env);
    napi_throw_error(env, "TFTP_PUMP_NAPI", "cannot create the transfer handle");
    return NULL;
  }
  t->refs++; /* the pump's, dropped by call_js */

  pthread_mutex_lock(&p->mu);
  int err = 0;
  if (!p->started) {
    /* Signals are Node's business (libuv's handlers): the pump thread blocks them all, as libuv's own threads do. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&p->thread, NULL, pump_main, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err == 0) p->started = 1;
  }
  int first = 0;
  if (err == 0) {
    first = p->pending == NULL;
    t->next = p->pending;
    p->pending = t;
  }
  pthread_mutex_unlock(&p->mu);
  if (err != 0) {
    /* The handle's finalizer frees t (and its references) when the handle is collected. */
    t->refs--;
    return throw_errno(env, "pthread_create", err);
  }
  if (p->js_active++ == 0) napi_ref_threadsafe_function(env, p->done);
  /*
   * Only the first transfer queued since the pump last took the queue wakes
   * it: the pump takes the whole queue on each wake-up. A wake-up costs this
   * thread about 25 us on a VM when the pump sleeps (the cross-CPU
   * interrupt), against 4 us for the rest of start().
   */
  if (first) wake(p);
  return handle;
}

static transfer *handle_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, "TFTP_PUMP_BAD_HANDLE", "expected a transfer handle from start()");
    return NULL;
  }
  return data;
}

/* cancel(handle): ends the transfer without telling the client; onDone still runs, with "cancelled". */
static napi_value js_cancel(napi_env env, napi_callback_info info) {
  transfer *t = handle_arg(env, info);
  if (t == NULL) return NULL;
  pump *p = NULL;
  CHECK(env, napi_get_instance_data(env, (void **)&p));
  __atomic_store_n(&t->cancel_requested, 1, __ATOMIC_RELAXED);
  wake(p);
  return NULL;
}

/* awaitingOackAck(handle): the OACK went out and its ACK 0 has not come back. */
static napi_value js_awaiting_oack_ack(napi_env env, napi_callback_info info) {
  transfer *t = handle_arg(env, info);
  if (t == NULL) return NULL;
  napi_value out;
  CHECK(env, napi_get_boolean(env, __atomic_load_n(&t->awaiting_oack_ack, __ATOMIC_RELAXED) != 0, &out));
  return out;
}

NAPI_MODULE_INIT() {
  pump *p = calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  pthread_mutex_init(&p->mu, NULL);
  p->epfd = epoll_create1(EPOLL_CLOEXEC);
  p->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data = {.ptr = NULL}};
  if (p->epfd < 0 || p->evfd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->evfd, &ev) != 0) {
    napi_throw_error(env, "TFTP_PUMP_INIT", "cannot create the pump's epoll and eventfd");
    return NULL;
  }
  if (napi_set_instance_data(env, p, NULL, NULL) != napi_ok || napi_add_env_cleanup_hook(env, pump_cleanup, p) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
      {"start", NULL, js_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cancel", NULL, js_cancel, NULL, NULL, NULL, napi_enumerable, NULL},
      {"awaitingOackAck", NULL, js_awaiting_oack_ack, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
