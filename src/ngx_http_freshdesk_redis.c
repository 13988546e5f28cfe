
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * A Redis client on nginx's event loop, for the quota.  Each worker keeps
 * a few connections per zone (nginx's own ngx_event_connect_peer(), TCP or
 * unix socket); commands are pipelined on them and their replies come
 * back in order.  Nothing blocks: connect, send and receive are
 * non-blocking, and one timer per connection watches the oldest command
 * that waits for its reply.  A connection that fails (refused, closed,
 * timed out, a protocol error, AUTH refused) fails every command waiting
 * on it, is closed, and is connected again after a backoff (100 ms,
 * doubling up to 5 s), during which commands are refused at once, so that
 * the caller decides without waiting.
 *
 * A new connection says AUTH (when a password is set), SELECT (when a
 * database is), SCRIPT LOAD (the quota's script) and PING; it is ready
 * when PONG comes.  Each worker connects when it starts, so that a call
 * finds a ready connection.  The handshake has its own, longer timeout
 * (connect_timeout=): a busy machine may take a while to connect, and only
 * a ready connection's commands are held to timeout=.  Commands sent
 * before that (only while a connection is made for the first time) wait
 * in the same pipeline; their timeout starts when it is ready.
 *
 * Each connection gets a random id, and each tagged command a number on
 * it: see ngx_http_freshdesk_redis_tag_t.
 */


#include "ngx_http_freshdesk_redis.h"

#include <openssl/rand.h>


#define FD_REDIS_DOWN        0
#define FD_REDIS_CONNECTING  1
#define FD_REDIS_READY       2

#define FD_REDIS_OUT         (64 * 1024)
#define FD_REDIS_IN          (16 * 1024)
#define FD_REDIS_BACKOFF     100
#define FD_REDIS_BACKOFF_MAX 5000


struct ngx_http_freshdesk_redis_conn_s {
    ngx_http_freshdesk_redis_t          *rd;
    ngx_peer_connection_t                peer;
    ngx_buf_t                            out;
    ngx_buf_t                            in;
    ngx_queue_t                          pending;
    ngx_event_t                          reconnect;
    ngx_msec_t                           backoff;
    ngx_uint_t                           state;
    uint64_t                             id;           /* random */
    uint32_t                             seq;          /* last tagged */
};


struct ngx_http_freshdesk_redis_cmd_s {
    ngx_queue_t                          queue;
    ngx_http_freshdesk_redis_handler_pt  handler;
    void                                *data;
    ngx_msec_t                           sent;
    uint64_t                             sent_us;
};


static void ngx_http_freshdesk_redis_connect(
    ngx_http_freshdesk_redis_conn_t *conn);
static ngx_http_freshdesk_redis_cmd_t *ngx_http_freshdesk_redis_queue(
    ngx_http_freshdesk_redis_conn_t *conn, ngx_str_t *args, ngx_uint_t n,
    ngx_http_freshdesk_redis_handler_pt handler, void *data);
static void ngx_http_freshdesk_redis_write_handler(ngx_event_t *wev);
static void ngx_http_freshdesk_redis_read_handler(ngx_event_t *rev);
static void ngx_http_freshdesk_redis_fail(
    ngx_http_freshdesk_redis_conn_t *conn, const char *reason,
    ngx_str_t *detail);
static void ngx_http_freshdesk_redis_reconnect(ngx_event_t *ev);
static void ngx_http_freshdesk_redis_handshake(void *data,
    ngx_http_freshdesk_resp_t *reply);
static void ngx_http_freshdesk_redis_pong(void *data,
    ngx_http_freshdesk_resp_t *reply);
static void ngx_http_freshdesk_redis_loaded(void *data,
    ngx_http_freshdesk_resp_t *reply);
static void ngx_http_freshdesk_redis_new_id(
    ngx_http_freshdesk_redis_conn_t *conn);
static void ngx_http_freshdesk_redis_timer(
    ngx_http_freshdesk_redis_conn_t *conn);
static uint64_t ngx_http_freshdesk_redis_usec(void);


ngx_int_t
ngx_http_freshdesk_redis_init_process(ngx_http_freshdesk_redis_t *rd,
    ngx_cycle_t *cycle)
{
    ngx_uint_t                        i;
    ngx_http_freshdesk_redis_conn_t  *conn;

    rd->log = cycle->log;

    rd->pool = ngx_create_pool(4096, cycle->log);
    if (rd->pool == NULL) {
        return NGX_ERROR;
    }

    ngx_queue_init(&rd->free);

    rd->conns = ngx_pcalloc(rd->pool,
                    rd->nconns * sizeof(ngx_http_freshdesk_redis_conn_t));
    if (rd->conns == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < rd->nconns; i++) {
        conn = &rd->conns[i];
        conn->rd = rd;

        conn->out.start = ngx_palloc(rd->pool, FD_REDIS_OUT);
        conn->in.start = ngx_palloc(rd->pool, FD_REDIS_IN);
        if (conn->out.start == NULL || conn->in.start == NULL) {
            return NGX_ERROR;
        }

        conn->out.pos = conn->out.last = conn->out.start;
        conn->out.end = conn->out.start + FD_REDIS_OUT;
        conn->in.pos = conn->in.last = conn->in.start;
        conn->in.end = conn->in.start + FD_REDIS_IN;

        ngx_queue_init(&conn->pending);

        conn->reconnect.handler = ngx_http_freshdesk_redis_reconnect;
        conn->reconnect.data = conn;
        conn->reconnect.log = cycle->log;
        conn->reconnect.cancelable = 1;

        /* connected ahead: the first call does not wait for it */
        ngx_http_freshdesk_redis_connect(conn);
    }

    return NGX_OK;
}


void
ngx_http_freshdesk_redis_exit_process(ngx_http_freshdesk_redis_t *rd)
{
    ngx_uint_t                        i;
    ngx_http_freshdesk_redis_conn_t  *conn;

    if (rd->conns == NULL) {
        return;
    }

    for (i = 0; i < rd->nconns; i++) {
        conn = &rd->conns[i];

        if (conn->reconnect.timer_set) {
            ngx_del_timer(&conn->reconnect);
        }

        if (conn->peer.connection) {
            ngx_close_connection(conn->peer.connection);
            conn->peer.connection = NULL;

            if (conn->state == FD_REDIS_READY) {
                (void) ngx_atomic_fetch_add(&rd->stats->connections, -1);
            }
        }
    }

    rd->conns = NULL;
    ngx_destroy_pool(rd->pool);
}


ngx_uint_t
ngx_http_freshdesk_redis_ready(ngx_http_freshdesk_redis_t *rd)
{
    ngx_uint_t  i;

    for (i = 0; rd->conns && i < rd->nconns; i++) {
        if (rd->conns[i].state == FD_REDIS_READY) {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_freshdesk_redis_connect(ngx_http_freshdesk_redis_conn_t *conn)
{
    ngx_int_t                    rc;
    ngx_str_t                    args[3];
    ngx_uint_t                   n;
    ngx_connection_t            *c;
    ngx_peer_connection_t       *pc;
    ngx_http_freshdesk_redis_t  *rd;

    rd = conn->rd;
    pc = &conn->peer;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    ngx_memzero(pc, sizeof(ngx_peer_connection_t));

    pc->sockaddr = rd->url.addrs[0].sockaddr;
    pc->socklen = rd->url.addrs[0].socklen;
    pc->name = &rd->url.addrs[0].name;
    pc->get = ngx_event_get_peer;
    pc->log = rd->log;
    pc->log_error = NGX_ERROR_ERR;

    conn->out.pos = conn->out.last = conn->out.start;
    conn->in.pos = conn->in.last = conn->in.start;

    rc = ngx_event_connect_peer(pc);

    if (rc == NGX_ERROR || rc == NGX_BUSY || rc == NGX_DECLINED) {
        pc->connection = NULL;
        ngx_http_freshdesk_redis_fail(conn, "could not connect", NULL);
        return;
    }

    c = pc->connection;
    c->data = conn;
    c->read->handler = ngx_http_freshdesk_redis_read_handler;
    c->write->handler = ngx_http_freshdesk_redis_write_handler;
    c->log = rd->log;
    c->read->log = rd->log;
    c->write->log = rd->log;

    conn->state = FD_REDIS_CONNECTING;

    ngx_http_freshdesk_redis_new_id(conn);

    /* the handshake, in the pipeline ahead of any command */

    if (rd->password.len) {
        n = 0;
        ngx_str_set(&args[n], "AUTH"); n++;

        if (rd->user.len) {
            args[n++] = rd->user;
        }

        args[n++] = rd->password;

        if (ngx_http_freshdesk_redis_queue(conn, args, n,
                                   ngx_http_freshdesk_redis_handshake, conn)
            == NULL)
        {
            ngx_http_freshdesk_redis_fail(conn, "no memory", NULL);
            return;
        }
    }

    if (rd->db.len) {
        ngx_str_set(&args[0], "SELECT");
        args[1] = rd->db;

        if (ngx_http_freshdesk_redis_queue(conn, args, 2,
                                   ngx_http_freshdesk_redis_handshake, conn)
            == NULL)
        {
            ngx_http_freshdesk_redis_fail(conn, "no memory", NULL);
            return;
        }
    }

    if (rd->script.len) {
        ngx_str_set(&args[0], "SCRIPT");
        ngx_str_set(&args[1], "LOAD");
        args[2] = rd->script;

        if (ngx_http_freshdesk_redis_queue(conn, args, 3,
                                       ngx_http_freshdesk_redis_loaded, conn)
            == NULL)
        {
            ngx_http_freshdesk_redis_fail(conn, "no memory", NULL);
            return;
        }
    }

    ngx_str_set(&args[0], "PING");

    if (ngx_http_freshdesk_redis_queue(conn, args, 1,
                                       ngx_http_freshdesk_redis_pong, conn)
        == NULL)
    {
        ngx_http_freshdesk_redis_fail(conn, "no memory", NULL);
        return;
    }

    if (rc == NGX_OK) {
        /* connected at once (a unix socket): send now */
        ngx_post_event(c->write, &ngx_posted_events);
    }
}


ngx_http_freshdesk_redis_cmd_t *
ngx_http_freshdesk_redis_send(ngx_http_freshdesk_redis_t *rd,
    ngx_str_t *args, ngx_uint_t n, ngx_uint_t tagarg,
    ngx_http_freshdesk_redis_tag_t *tag,
    ngx_http_freshdesk_redis_handler_pt handler, void *data)
{
    u_char                            id[16], seq[NGX_INT32_LEN];
    ngx_uint_t                        i, k;
    ngx_http_freshdesk_redis_cmd_t   *cmd;
    ngx_http_freshdesk_redis_conn_t  *conn, *pick;

    if (rd->conns == NULL) {
        return NULL;
    }

    /* a ready connection, round robin; else one being connected */

    pick = NULL;

    for (i = 0; i < rd->nconns; i++) {
        k = (rd->next + i) % rd->nconns;
        conn = &rd->conns[k];

        if (conn->state == FD_REDIS_READY) {
            pick = conn;
            rd->next = k + 1;
            break;
        }

        /*
         * Being connected: only the first time, not while Redis is away,
         * or a call would wait for a handshake that may never end
         */

        if (pick == NULL && conn->state == FD_REDIS_CONNECTING
            && conn->backoff == 0)
        {
            pick = conn;
        }
    }

    if (pick == NULL) {
        /* all down: one not waiting for its backoff is connected now */

        for (i = 0; i < rd->nconns; i++) {
            conn = &rd->conns[i];

            if (conn->state == FD_REDIS_DOWN && !conn->reconnect.timer_set) {
                ngx_http_freshdesk_redis_connect(conn);

                if (conn->state == FD_REDIS_CONNECTING) {
                    pick = conn;
                    break;
                }
            }
        }
    }

    if (pick == NULL) {
        return NULL;
    }

    if (tag) {
        if (pick->seq == NGX_MAX_UINT32_VALUE) {
            /* numbers used up: the same connection, a new name */
            ngx_http_freshdesk_redis_new_id(pick);
        }

        tag->conn = pick->id;
        tag->seq = pick->seq + 1;

        args[tagarg].data = id;
        args[tagarg].len = ngx_http_freshdesk_redis_tag_hex(id, tag->conn)
                           - id;
        args[tagarg + 1].data = seq;
        args[tagarg + 1].len = ngx_sprintf(seq, "%uD", tag->seq) - seq;
    }

    cmd = ngx_http_freshdesk_redis_queue(pick, args, n, handler, data);

    if (cmd) {
        (void) ngx_atomic_fetch_add(&rd->stats->commands, 1);

        if (tag) {
            pick->seq = tag->seq;
        }
    }

    return cmd;
}


/* the command into the send buffer and the pending queue */

static ngx_http_freshdesk_redis_cmd_t *
ngx_http_freshdesk_redis_queue(ngx_http_freshdesk_redis_conn_t *conn,
    ngx_str_t *args, ngx_uint_t n,
    ngx_http_freshdesk_redis_handler_pt handler, void *data)
{
    size_t                           len, room;
    ngx_queue_t                     *q;
    ngx_connection_t                *c;
    ngx_http_freshdesk_redis_t      *rd;
    ngx_http_freshdesk_redis_cmd_t  *cmd;

    rd = conn->rd;
    c = conn->peer.connection;

    len = ngx_http_freshdesk_resp_command_len(args, n);

    if ((size_t) (conn->out.end - conn->out.last) < len) {
        room = conn->out.last - conn->out.pos;
        ngx_memmove(conn->out.start, conn->out.pos, room);
        conn->out.pos = conn->out.start;
        conn->out.last = conn->out.start + room;

        if ((size_t) (conn->out.end - conn->out.last) < len) {
            /* Redis does not keep up: decide without it */
            return NULL;
        }
    }

    if (!ngx_queue_empty(&rd->free)) {
        q = ngx_queue_head(&rd->free);
        ngx_queue_remove(q);
        cmd = ngx_queue_data(q, ngx_http_freshdesk_redis_cmd_t, queue);

    } else {
        cmd = ngx_palloc(rd->pool, sizeof(ngx_http_freshdesk_redis_cmd_t));
        if (cmd == NULL) {
            return NULL;
        }
    }

    conn->out.last = ngx_http_freshdesk_resp_command(conn->out.last, args,
                                                     n);

    cmd->handler = handler;
    cmd->data = data;
    cmd->sent = ngx_current_msec;
    cmd->sent_us = ngx_http_freshdesk_redis_usec();

    ngx_queue_insert_tail(&conn->pending, &cmd->queue);

    if (!c->read->timer_set) {
        ngx_add_timer(c->read, conn->state == FD_REDIS_READY
                               ? rd->timeout : rd->connect_timeout);
    }

    /* sent from the event loop, never from the caller's stack */

    if (c->write->ready) {
        ngx_post_event(c->write, &ngx_posted_events);
    }

    return cmd;
}


void
ngx_http_freshdesk_redis_abandon(ngx_http_freshdesk_redis_cmd_t *cmd)
{
    cmd->data = NULL;
}


static void
ngx_http_freshdesk_redis_write_handler(ngx_event_t *wev)
{
    ssize_t                           n;
    ngx_connection_t                 *c;
    ngx_http_freshdesk_redis_conn_t  *conn;

    c = wev->data;
    conn = c->data;

    if (wev->timedout) {
        ngx_http_freshdesk_redis_fail(conn, "timed out", NULL);
        return;
    }

    while (conn->out.pos < conn->out.last) {
        n = c->send(c, conn->out.pos, conn->out.last - conn->out.pos);

        if (n == NGX_ERROR) {
            ngx_http_freshdesk_redis_fail(conn, "could not send", NULL);
            return;
        }

        if (n == NGX_AGAIN) {
            break;
        }

        conn->out.pos += n;
    }

    if (conn->out.pos == conn->out.last) {
        conn->out.pos = conn->out.last = conn->out.start;
    }

    if (ngx_handle_write_event(wev, 0) != NGX_OK) {
        ngx_http_freshdesk_redis_fail(conn, "event error", NULL);
    }
}


static void
ngx_http_freshdesk_redis_read_handler(ngx_event_t *rev)
{
    u_char                           *end;
    size_t                            len;
    ssize_t                           n;
    uint64_t                          now;
    ngx_int_t                         rc;
    ngx_uint_t                        i;
    ngx_queue_t                      *q;
    ngx_connection_t                 *c;
    ngx_http_freshdesk_resp_t         reply;
    ngx_http_freshdesk_redis_t       *rd;
    ngx_http_freshdesk_redis_cmd_t   *cmd;
    ngx_http_freshdesk_redis_conn_t  *conn;

    c = rev->data;
    conn = c->data;
    rd = conn->rd;

    if (rev->timedout) {

        if (conn->state == FD_REDIS_CONNECTING) {
            /* connect_timeout: this connection only */
            ngx_http_freshdesk_redis_fail(conn, "could not connect in time",
                                          NULL);
            return;
        }

        /* a stalled Redis stalls every ready connection: all given up */

        for (i = 0; i < rd->nconns; i++) {
            if (&rd->conns[i] != conn && rd->conns[i].peer.connection) {
                ngx_http_freshdesk_redis_fail(&rd->conns[i], "timed out",
                                              NULL);
            }
        }

        ngx_http_freshdesk_redis_fail(conn, "timed out", NULL);
        return;
    }

    for ( ;; ) {

        if (conn->in.last == conn->in.end) {
            ngx_http_freshdesk_redis_fail(conn, "reply too large", NULL);
            return;
        }

        n = c->recv(c, conn->in.last, conn->in.end - conn->in.last);

        if (n == NGX_AGAIN) {
            break;
        }

        if (n == 0 || n == NGX_ERROR) {
            ngx_http_freshdesk_redis_fail(conn, "connection closed", NULL);
            return;
        }

        conn->in.last += n;

        /* every whole reply goes to the command it answers, in order */

        for ( ;; ) {
            rc = ngx_http_freshdesk_resp_parse(conn->in.pos, conn->in.last,
                                               &reply, &end);
            if (rc == NGX_AGAIN) {
                break;
            }

            if (rc == NGX_ERROR || ngx_queue_empty(&conn->pending)) {
                ngx_http_freshdesk_redis_fail(conn, "protocol error", NULL);
                return;
            }

            q = ngx_queue_head(&conn->pending);
            ngx_queue_remove(q);
            cmd = ngx_queue_data(q, ngx_http_freshdesk_redis_cmd_t, queue);
            ngx_queue_insert_tail(&rd->free, q);

            now = ngx_http_freshdesk_redis_usec();
            rd->stats->rtt_us = (ngx_atomic_uint_t) (now - cmd->sent_us);

            if (reply.value.type == '-') {
                (void) ngx_atomic_fetch_add(&rd->stats->errors, 1);
            }

            if (cmd->data) {
                cmd->handler(cmd->data, &reply);
            }

            if (conn->peer.connection != c) {
                /* a handler failed the connection (AUTH refused) */
                return;
            }

            conn->in.pos = end;
        }

        len = conn->in.last - conn->in.pos;

        if (len) {
            ngx_memmove(conn->in.start, conn->in.pos, len);
        }

        conn->in.pos = conn->in.start;
        conn->in.last = conn->in.start + len;

        if (!rev->ready) {
            /* a short read: the socket is drained, no recv() to ask */
            break;
        }
    }

    ngx_http_freshdesk_redis_timer(conn);

    if (ngx_handle_read_event(rev, 0) != NGX_OK) {
        ngx_http_freshdesk_redis_fail(conn, "event error", NULL);
    }
}


/* the timer watches the oldest command still waiting for its reply */

static void
ngx_http_freshdesk_redis_timer(ngx_http_freshdesk_redis_conn_t *conn)
{
    ngx_msec_t                       left, age, timeout;
    ngx_connection_t                *c;
    ngx_http_freshdesk_redis_cmd_t  *cmd;

    c = conn->peer.connection;
    timeout = conn->state == FD_REDIS_READY ? conn->rd->timeout
                                            : conn->rd->connect_timeout;

    if (ngx_queue_empty(&conn->pending)) {
        if (c->read->timer_set) {
            ngx_del_timer(c->read);
        }

        return;
    }

    cmd = ngx_queue_data(ngx_queue_head(&conn->pending),
                         ngx_http_freshdesk_redis_cmd_t, queue);

    age = ngx_current_msec - cmd->sent;
    left = age < timeout ? timeout - age : 1;

    ngx_add_timer(c->read, left);
}


static void
ngx_http_freshdesk_redis_handshake(void *data,
    ngx_http_freshdesk_resp_t *reply)
{
    ngx_http_freshdesk_redis_conn_t  *conn = data;

    if (reply && reply->value.type == '-') {
        /* Redis's own words: they never hold the password */
        ngx_http_freshdesk_redis_fail(conn, "refused the handshake",
                                      &reply->value.str);
    }
}


static void
ngx_http_freshdesk_redis_pong(void *data, ngx_http_freshdesk_resp_t *reply)
{
    ngx_http_freshdesk_redis_conn_t  *conn = data;

    ngx_queue_t                     *q;
    ngx_http_freshdesk_redis_t      *rd;
    ngx_http_freshdesk_redis_cmd_t  *cmd;

    rd = conn->rd;

    if (reply == NULL) {
        return;
    }

    if (reply->value.type == '-') {
        ngx_http_freshdesk_redis_fail(conn, "refused PING",
                                      &reply->value.str);
        return;
    }

    conn->state = FD_REDIS_READY;
    conn->backoff = 0;

    (void) ngx_atomic_fetch_add(&rd->stats->connections, 1);
    rd->stats->last_ok = (ngx_atomic_uint_t) ngx_time();

    if (rd->logged) {
        ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                      "freshdesk: quota zone \"%V\": Redis %V is back",
                      &rd->zone, &rd->url.url);
        rd->logged = 0;
    }

    /* commands queued behind the handshake: their timeout starts now */

    for (q = ngx_queue_head(&conn->pending);
         q != ngx_queue_sentinel(&conn->pending);
         q = ngx_queue_next(q))
    {
        cmd = ngx_queue_data(q, ngx_http_freshdesk_redis_cmd_t, queue);
        cmd->sent = ngx_current_msec;
    }

    /* and they go out now */

    if (conn->out.pos < conn->out.last && conn->peer.connection->write->ready)
    {
        ngx_post_event(conn->peer.connection->write, &ngx_posted_events);
    }
}


/*
 * SCRIPT LOAD refused (an ACL without SCRIPT, say): not fatal, the script
 * is then sent whole after NOSCRIPT
 */

static void
ngx_http_freshdesk_redis_loaded(void *data, ngx_http_freshdesk_resp_t *reply)
{
    ngx_http_freshdesk_redis_conn_t  *conn = data;

    if (reply && reply->value.type == '-') {
        ngx_log_error(NGX_LOG_WARN, conn->rd->log, 0,
                      "freshdesk: quota zone \"%V\": Redis %V refused "
                      "SCRIPT LOAD: %*s", &conn->rd->zone,
                      &conn->rd->url.url,
                      ngx_min(reply->value.str.len, 200),
                      reply->value.str.data);
    }
}


/* a connection's name: 64 random bits, a new one for each connection */

static void
ngx_http_freshdesk_redis_new_id(ngx_http_freshdesk_redis_conn_t *conn)
{
    uint64_t  id;

    if (RAND_bytes((u_char *) &id, sizeof(id)) != 1) {
        id = ((uint64_t) ngx_random() << 33)
             ^ ((uint64_t) ngx_random() << 11)
             ^ (uint64_t) ngx_random() ^ (uint64_t) ngx_pid << 48
             ^ ngx_http_freshdesk_redis_usec();
    }

    conn->id = id;
    conn->seq = 0;
}


u_char *
ngx_http_freshdesk_redis_tag_hex(u_char *p, uint64_t conn)
{
    return ngx_sprintf(p, "%016uXL", conn);
}


/*
 * The connection is given up: every command waiting on it is failed (its
 * handler called with NULL), and a new connection follows after the
 * backoff.  Logged once per 10 s per worker and zone.
 */

static void
ngx_http_freshdesk_redis_fail(ngx_http_freshdesk_redis_conn_t *conn,
    const char *reason, ngx_str_t *detail)
{
    ngx_str_t                         d;
    ngx_uint_t                        failed;
    ngx_queue_t                       pending, *q;
    ngx_http_freshdesk_redis_t       *rd;
    ngx_http_freshdesk_redis_cmd_t   *cmd;

    rd = conn->rd;

    if (conn->peer.connection) {
        ngx_close_connection(conn->peer.connection);
        conn->peer.connection = NULL;
    }

    if (conn->state == FD_REDIS_READY) {
        (void) ngx_atomic_fetch_add(&rd->stats->connections, -1);
    }

    conn->state = FD_REDIS_DOWN;
    conn->out.pos = conn->out.last = conn->out.start;
    conn->in.pos = conn->in.last = conn->in.start;

    rd->stats->last_error = (ngx_atomic_uint_t) ngx_time();

    if (ngx_time() - rd->logged >= 10) {
        d.len = 0;

        if (detail) {
            d.data = detail->data;
            d.len = ngx_min(detail->len, 200);
        }

        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "freshdesk: quota zone \"%V\": Redis %V %s%s%V; "
                      "calls are decided without it (fail=%s)",
                      &rd->zone, &rd->url.url, reason, d.len ? ": " : "",
                      &d,
                      rd->fail == NGX_HTTP_FRESHDESK_REDIS_LOCAL ? "local"
                      : rd->fail == NGX_HTTP_FRESHDESK_REDIS_CLOSED
                        ? "closed" : "open");
        rd->logged = ngx_time();
    }

    /*
     * The backoff first: the handlers may send again, and must not find
     * this connection to be had
     */

    if (!(ngx_exiting || ngx_terminate || ngx_quit)) {
        conn->backoff = conn->backoff ? ngx_min(conn->backoff * 2,
                                                FD_REDIS_BACKOFF_MAX)
                                      : FD_REDIS_BACKOFF;

        if (!conn->reconnect.timer_set) {
            ngx_add_timer(&conn->reconnect, conn->backoff);
        }
    }

    ngx_queue_init(&pending);

    if (!ngx_queue_empty(&conn->pending)) {
        pending = conn->pending;
        pending.next->prev = &pending;
        pending.prev->next = &pending;
        ngx_queue_init(&conn->pending);
    }

    failed = 0;

    while (!ngx_queue_empty(&pending)) {
        q = ngx_queue_head(&pending);
        ngx_queue_remove(q);
        cmd = ngx_queue_data(q, ngx_http_freshdesk_redis_cmd_t, queue);
        ngx_queue_insert_tail(&rd->free, q);

        if (cmd->handler != ngx_http_freshdesk_redis_handshake
            && cmd->handler != ngx_http_freshdesk_redis_loaded
            && cmd->handler != ngx_http_freshdesk_redis_pong)
        {
            failed++;
        }

        if (cmd->data) {
            cmd->handler(cmd->data, NULL);
        }
    }

    if (failed) {
        (void) ngx_atomic_fetch_add(&rd->stats->errors, failed);
    }
}


static void
ngx_http_freshdesk_redis_reconnect(ngx_event_t *ev)
{
    ngx_http_freshdesk_redis_conn_t  *conn = ev->data;

    if (conn->state == FD_REDIS_DOWN) {
        ngx_http_freshdesk_redis_connect(conn);
    }
}


static uint64_t
ngx_http_freshdesk_redis_usec(void)
{
    struct timeval  tv;

    ngx_gettimeofday(&tv);

    return (uint64_t) tv.tv_sec * 1000000 + tv.tv_usec;
}
