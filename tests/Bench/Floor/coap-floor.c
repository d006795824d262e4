/*
 * coap-floor: the least a CoAP server can do per request on this machine's socket API, the floor
 * that `Bench coap --floor` measures beside libcoap and the gateway. One thread blocks in recvmmsg
 * (MSG_WAITFORONE, up to 32 datagrams), answers every confirmable or non-confirmable request at once
 * with a fixed response and sends the batch with one sendmmsg. It keeps no state: no deduplication,
 * no Message IDs of its own, no resources. A server that does its job cannot cost less than this.
 * With a poll budget it polls (MSG_DONTWAIT) for up to that long before it blocks, when the last
 * datagram came within the budget: the gateway's rule (Coap:BusyPollMicroseconds), so the floor
 * stays the floor of a server that polls as the gateway does.
 *
 * usage: coap-floor PORT [POLL_MICROSECONDS]   (binds 127.0.0.1:PORT; default 0, never poll;
 *        stops on SIGTERM or SIGINT)
 * build: cc -O2 -o coap-floor coap-floor.c
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define MAX_DATAGRAM 1280

/* A 32-byte payload: the size of the gateway's discovery block (its GET answer), about libcoap's "/" text. */
static const char payload[32] = "coap-floor: nothing behind this.";

/* The success code of each method: RFC 7252 §5.8.1-§5.8.4, RFC 8132 §2 (FETCH) and §3 (PATCH, iPATCH). */
static unsigned char method_success(unsigned code)
{
    switch (code)
    {
        case 2: return 0x41;                                   /* POST: 2.01 Created */
        case 3: case 6: case 7: return 0x44;                   /* PUT, PATCH, iPATCH: 2.04 Changed */
        case 4: return 0x42;                                   /* DELETE: 2.02 Deleted */
        default: return 0x45;                                  /* GET, FETCH: 2.05 Content */
    }
}

/* Builds the response to one request in place of `out`; returns its length, 0 to send nothing (RFC 7252 §4.2, §4.3). */
static size_t respond(const unsigned char *in, size_t length, unsigned char *out)
{
    if (length < 4 || (in[0] >> 6) != 1) return 0;           /* §3: version 1, 4-byte header */
    unsigned type = (in[0] >> 4) & 3, tkl = in[0] & 0x0F;
    if (type > 1 || tkl > 8 || length < 4 + tkl) return 0;    /* only CON and NON requests are answered */
    unsigned code = in[1];
    if (code == 0 || (code >> 5) != 0) return 0;               /* a response, or an Empty ping (§4.3 would RST it; the bench sends none) */
    unsigned char response = method_success(code);
    out[0] = (unsigned char)(0x40 | (type == 0 ? 2u << 4 : 1u << 4) | tkl); /* §5.2.1 piggybacked ACK, §5.2.3 NON */
    out[1] = response;
    out[2] = in[2];                                            /* the request's Message ID (for a NON, any ID would do) */
    out[3] = in[3];
    memcpy(out + 4, in + 4, tkl);
    size_t n = 4 + tkl;
    if (response == 0x45)
    {
        out[n++] = 0xC0;                                       /* Content-Format (12), length 0: text/plain */
        out[n++] = 0xFF;
        memcpy(out + n, payload, sizeof payload);
        n += sizeof payload;
    }
    return n;
}

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static volatile sig_atomic_t stopping;
static void stop(int signal) { (void)signal; stopping = 1; }

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) { fprintf(stderr, "usage: coap-floor PORT [POLL_MICROSECONDS]\n"); return 2; }
    long long budget = argc == 3 ? atoll(argv[2]) * 1000 : 0;
    int last_was_soon = 0;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int buffer = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) { perror("coap-floor: bind"); return 1; }
    struct sigaction action = { .sa_handler = stop };         /* no SA_RESTART: a signal ends the blocking receive */
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);

    static unsigned char in[BATCH][MAX_DATAGRAM], out[BATCH][MAX_DATAGRAM];
    static struct sockaddr_in peers[BATCH];
    static struct mmsghdr received[BATCH], answers[BATCH];
    static struct iovec inVectors[BATCH], outVectors[BATCH];
    for (int i = 0; i < BATCH; i++)
    {
        inVectors[i] = (struct iovec){ in[i], MAX_DATAGRAM };
        received[i].msg_hdr = (struct msghdr){ .msg_name = &peers[i], .msg_iov = &inVectors[i], .msg_iovlen = 1 };
    }
    printf("coap-floor listening on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);
    while (!stopping)
    {
        for (int i = 0; i < BATCH; i++) received[i].msg_hdr.msg_namelen = sizeof peers[i];
        long long started = now_ns();
        int count;
        do
        {
            int polls = last_was_soon && now_ns() - started < budget;
            count = recvmmsg(fd, received, BATCH, polls ? MSG_DONTWAIT : MSG_WAITFORONE, NULL);
        } while (count <= 0 && !stopping);
        if (count <= 0) continue;
        last_was_soon = budget > 0 && now_ns() - started <= budget;
        int pending = 0;
        for (int i = 0; i < count; i++)
        {
            size_t length = respond(in[i], received[i].msg_len, out[pending]);
            if (length == 0) continue;
            outVectors[pending] = (struct iovec){ out[pending], length };
            answers[pending].msg_hdr = (struct msghdr){ .msg_name = &peers[i], .msg_namelen = received[i].msg_hdr.msg_namelen,
                                                        .msg_iov = &outVectors[pending], .msg_iovlen = 1 };
            pending++;
        }
        for (int sent = 0; sent < pending;)
        {
            int n = sendmmsg(fd, answers + sent, (unsigned)(pending - sent), 0);
            if (n <= 0) break;                                 /* a full send buffer drops the rest, as UDP may */
            sent += n;
        }
    }
    close(fd);
    return 0;
}
