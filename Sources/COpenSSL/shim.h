// SPDX-License-Identifier: Apache-2.0
// OpenSSL 3 (libssl-dev) for FerryHTTP's TLS transport, plus inline wrappers for the macros Swift cannot call.
#ifndef FERRY_COPENSSL_SHIM_H
#define FERRY_COPENSSL_SHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/pem.h>

/// TLS 1.2 and 1.3 only.
static inline int ferry_ssl_ctx_set_tls12_and_13(SSL_CTX *ctx) {
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) && SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
}

/// Partial writes, retries from a moved (re-gathered) buffer, and no idle read/write buffers.
static inline void ferry_ssl_ctx_set_modes(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                              | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE
                                 | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
}

/// Never prompt on the terminal for a key's passphrase: an encrypted key fails to load instead.
static int ferry_ssl_no_password(char *buffer, int size, int rwflag, void *userdata) {
    (void)buffer; (void)size; (void)rwflag; (void)userdata;
    return 0;
}

static inline void ferry_ssl_ctx_refuse_passwords(SSL_CTX *ctx) {
    SSL_CTX_set_default_passwd_cb(ctx, ferry_ssl_no_password);
}

/// Marks a session whose connection may speak HTTP/2 (its app data is non-NULL): its ALPN offer includes `h2`.
static inline void ferry_ssl_set_offers_h2(SSL *ssl, int offers) {
    SSL_set_app_data(ssl, offers ? (void *)(uintptr_t)1 : NULL);
}

/// ALPN selection (RFC 7301): the server's preference (`h2` when offered, then `http/1.1`) among the client's
/// protocols; no common protocol is a fatal `no_application_protocol` alert, as nginx does.
static int ferry_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                             unsigned int inlen, void *arg) {
    (void)arg;
    static const unsigned char with_h2[] = "\x02h2\x08http/1.1";
    static const unsigned char http11_only[] = "\x08http/1.1";
    const unsigned char *server = SSL_get_app_data(ssl) ? with_h2 : http11_only;
    unsigned int server_length = (unsigned int)(SSL_get_app_data(ssl) ? sizeof(with_h2) : sizeof(http11_only)) - 1;
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, server, server_length, in, inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

static inline void ferry_ssl_ctx_enable_alpn(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, ferry_alpn_select, NULL);
}

/// The reason code of the oldest queued error (e.g. `SSL_R_HTTP_REQUEST`), 0 when none.
static inline int ferry_err_peek_reason(void) {
    return ERR_GET_REASON(ERR_peek_error());
}

static inline int ferry_ssl_r_http_request(void) { return SSL_R_HTTP_REQUEST; }

#endif
