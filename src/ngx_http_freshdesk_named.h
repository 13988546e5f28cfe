
/*
 * Copyright (C) ngx_http_freshdesk_module authors
 *
 * Nodes of a shared-memory rbtree found by a name: the quota's tenants
 * (quota_shm.c) and the account guard's accounts (guard.c).  A node's key
 * is the name's crc32; its own struct overlays ngx_rbtree_node_t from the
 * color field, with the name's length in the byte after color and the
 * name itself "off" bytes from color (offsetof(its struct, data)).  Equal
 * keys are ordered by name, as nginx's limit_req does.
 */


#ifndef _NGX_HTTP_FRESHDESK_NAMED_H_INCLUDED_
#define _NGX_HTTP_FRESHDESK_NAMED_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define ngx_http_freshdesk_named_len(node)  (((u_char *) &(node)->color)[1])
#define ngx_http_freshdesk_named_data(node, off)                             \
    ((u_char *) &(node)->color + (off))


/* the struct that overlays the node found, or NULL */

static ngx_inline void *
ngx_http_freshdesk_named_lookup(ngx_rbtree_t *tree, ngx_str_t *name,
    uint32_t hash, size_t off)
{
    ngx_int_t           rc;
    ngx_rbtree_node_t  *node, *sentinel;

    node = tree->root;
    sentinel = tree->sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        rc = ngx_memn2cmp(name->data, ngx_http_freshdesk_named_data(node, off),
                          name->len,
                          (size_t) ngx_http_freshdesk_named_len(node));

        if (rc == 0) {
            return &node->color;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* the body of a tree's insert_value handler */

static ngx_inline void
ngx_http_freshdesk_named_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel, size_t off)
{
    ngx_rbtree_node_t  **p;

    for ( ;; ) {

        if (node->key < temp->key) {
            p = &temp->left;

        } else if (node->key > temp->key) {
            p = &temp->right;

        } else { /* node->key == temp->key */

            p = (ngx_memn2cmp(ngx_http_freshdesk_named_data(node, off),
                              ngx_http_freshdesk_named_data(temp, off),
                              ngx_http_freshdesk_named_len(node),
                              ngx_http_freshdesk_named_len(temp))
                 < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


#endif /* _NGX_HTTP_FRESHDESK_NAMED_H_INCLUDED_ */
