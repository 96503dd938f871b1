/*
 * sockdiag.c: a dump of timewait sockets through inet_diag (sockdiag.h).
 * One SOCK_DIAG_BY_FAMILY request with NLM_F_DUMP, the answer read until
 * NLMSG_DONE. The kernel filters a timewait socket by its substate, so the
 * request names both: TIME_WAIT, and FIN_WAIT2 for the mini-socket an
 * orphan's FIN_WAIT_2 becomes (asking for TIME_WAIT alone misses those, and
 * the orphan looked gone a second later).
 */
#include "sockdiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

enum { KERNEL_TCP_FIN_WAIT2 = 5, KERNEL_TCP_TIME_WAIT = 6 }; /* include/net/tcp_states.h */

static int send_request(int fd)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg;
    memset(&msg, 0, sizeof msg);
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.req.sdiag_family = AF_INET;
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = 1u << KERNEL_TCP_TIME_WAIT | 1u << KERNEL_TCP_FIN_WAIT2;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    return sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) ==
                   (ssize_t)sizeof msg ? 0 : -1;
}

int sockdiag_time_wait(int fd, struct sockdiag_tuple *tuples, size_t max)
{
    if (send_request(fd) != 0)
        return -1;
    size_t count = 0;
    long buf[8192 / sizeof(long)];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
             h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE)
                return (int)count;
            if (h->nlmsg_type == NLMSG_ERROR) {
                errno = EPROTO;
                return -1;
            }
            const struct inet_diag_msg *m = NLMSG_DATA(h);
            if (count < max)
                tuples[count] = (struct sockdiag_tuple){
                    .saddr = ntohl(m->id.idiag_src[0]), .daddr = ntohl(m->id.idiag_dst[0]),
                    .sport = ntohs(m->id.idiag_sport), .dport = ntohs(m->id.idiag_dport)};
            count++;
        }
    }
}
