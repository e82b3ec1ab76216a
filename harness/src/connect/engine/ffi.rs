//! The few libssl calls the `openssl` crate does not bind, each wrapped in a safe function.
//!
//! Why unsafe code here: the connectivity test must choose its client certificate when the
//! server's CertificateRequest arrives (Java's key manager sees the CA names and signature
//! algorithms then), must see warning alerts (Java treats `unrecognized_name` as fatal
//! under TLS 1.2), and reports the negotiated group and the server's signature scheme. The
//! `openssl` crate 0.10 has no binding for `SSL_CTX_set_cert_cb`, `SSL_CTX_set_info_callback`,
//! `SSL_get_client_CA_list`, `SSL_get_sigalgs` or `SSL_get_peer_signature_type_nid`; these
//! are stable libssl 1.1.1/3.0 functions, declared below with their C signatures. Every
//! callback body is `catch_unwind`-guarded and does its work through the crate's safe API.
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_long, c_uchar, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use foreign_types::ForeignTypeRef;
use openssl::ssl::{SslContextBuilder, SslRef};
use openssl::stack::StackRef;
use openssl::x509::{X509NameRef, X509StoreContextRef};

type RawSsl = <SslRef as ForeignTypeRef>::CType;
type RawStoreCtx = <X509StoreContextRef as ForeignTypeRef>::CType;

unsafe extern "C" {
    fn SSL_CTX_set_cert_cb(
        ctx: *mut c_void,
        cb: Option<unsafe extern "C" fn(*mut RawSsl, *mut c_void) -> c_int>,
        arg: *mut c_void,
    );
    fn SSL_CTX_set_cert_verify_callback(
        ctx: *mut c_void,
        cb: Option<unsafe extern "C" fn(*mut RawStoreCtx, *mut c_void) -> c_int>,
        arg: *mut c_void,
    );
    fn SSL_CTX_set_info_callback(
        ctx: *mut c_void,
        cb: Option<unsafe extern "C" fn(*const RawSsl, c_int, c_int)>,
    );
    fn SSL_CTX_ctrl(ctx: *mut c_void, cmd: c_int, larg: c_long, parg: *mut c_void) -> c_long;
    fn SSL_ctrl(ssl: *mut RawSsl, cmd: c_int, larg: c_long, parg: *mut c_void) -> c_long;
    fn SSL_get_client_CA_list(ssl: *const RawSsl) -> *mut c_void;
    fn SSL_get_sigalgs(
        ssl: *mut RawSsl,
        idx: c_int,
        psign: *mut c_int,
        phash: *mut c_int,
        psignhash: *mut c_int,
        rsig: *mut c_uchar,
        rhash: *mut c_uchar,
    ) -> c_int;
    fn SSL_get_peer_signature_type_nid(ssl: *const RawSsl, pnid: *mut c_int) -> c_int;
    fn ENGINE_new() -> *mut c_void;
    fn ENGINE_set_id(e: *mut c_void, id: *const c_char) -> c_int;
    fn ENGINE_set_name(e: *mut c_void, name: *const c_char) -> c_int;
    fn ENGINE_set_pkey_meths(e: *mut c_void, f: Option<PkeyMethsFn>) -> c_int;
    fn ENGINE_set_default_pkey_meths(e: *mut c_void) -> c_int;
    fn ENGINE_free(e: *mut c_void) -> c_int;
    fn EVP_PKEY_meth_find(nid: c_int) -> *const c_void;
}

/// `ENGINE_PKEY_METHS_PTR`: (engine, method out, NID list out, NID).
type PkeyMethsFn =
    unsafe extern "C" fn(*mut c_void, *mut *const c_void, *mut *const c_int, c_int) -> c_int;

const SSL_CTRL_SET_MAX_CERT_LIST: c_int = 51;
const SSL_CTRL_GET_PEER_SIGNATURE_NID: c_int = 108;
const SSL_CTRL_GET_NEGOTIATED_GROUP: c_int = 134;
/// `SSL_CB_READ_ALERT` = `SSL_CB_ALERT | SSL_CB_READ`.
const SSL_CB_READ_ALERT: c_int = 0x4000 | 0x04;

/// The hook libssl calls when the server asks for a client certificate.
pub(crate) type CertHook = fn(&mut SslRef) -> bool;
/// The hook libssl calls instead of its own chain verification.
pub(crate) type ChainHook = fn(&mut X509StoreContextRef) -> bool;
/// The hook libssl calls for every alert read: (ssl, level, description).
pub(crate) type AlertHook = fn(&SslRef, u8, u8);

static CERT_HOOK: std::sync::OnceLock<CertHook> = std::sync::OnceLock::new();
static ALERT_HOOK: std::sync::OnceLock<AlertHook> = std::sync::OnceLock::new();
static CHAIN_HOOK: std::sync::OnceLock<ChainHook> = std::sync::OnceLock::new();

unsafe extern "C" fn verify_cb(ctx: *mut RawStoreCtx, _arg: *mut c_void) -> c_int {
    let Some(hook) = CHAIN_HOOK.get() else {
        return 0;
    };
    // SAFETY: libssl passes the live X509_STORE_CTX of the server chain being judged.
    let ctx = unsafe { X509StoreContextRef::from_ptr_mut(ctx) };
    match catch_unwind(AssertUnwindSafe(|| hook(ctx))) {
        Ok(true) => 1,
        _ => 0,
    }
}

unsafe extern "C" fn cert_cb(ssl: *mut RawSsl, _arg: *mut c_void) -> c_int {
    let Some(hook) = CERT_HOOK.get() else {
        return 1;
    };
    // SAFETY: libssl passes the live SSL of the handshake in progress.
    let ssl = unsafe { SslRef::from_ptr_mut(ssl) };
    match catch_unwind(AssertUnwindSafe(|| hook(ssl))) {
        Ok(true) => 1,
        _ => 0,
    }
}

unsafe extern "C" fn info_cb(ssl: *const RawSsl, where_: c_int, ret: c_int) {
    if where_ & SSL_CB_READ_ALERT != SSL_CB_READ_ALERT {
        return;
    }
    let Some(hook) = ALERT_HOOK.get() else {
        return;
    };
    // SAFETY: libssl passes the live SSL whose alert it just read.
    let ssl = unsafe { SslRef::from_ptr(ssl as *mut RawSsl) };
    let level = ((ret >> 8) & 0xff) as u8;
    let description = (ret & 0xff) as u8;
    let _ = catch_unwind(AssertUnwindSafe(|| hook(ssl, level, description)));
}

/// Installs the client-certificate hook (`SSL_CTX_set_cert_cb`), the chain hook
/// (`SSL_CTX_set_cert_verify_callback`: our validator instead of `X509_verify_cert`), the
/// alert hook
/// (`SSL_CTX_set_info_callback`) and the largest certificate list accepted
/// (`SSL_CTX_set_max_cert_list`) on a context under construction. The hooks are process-wide
/// functions (the first installed wins); per-connection state lives in the SSL's ex data.
pub(crate) fn install(
    builder: &mut SslContextBuilder,
    cert: CertHook,
    chain: ChainHook,
    alert: AlertHook,
    max_cert_list: usize,
) {
    let _ = CERT_HOOK.set(cert);
    let _ = CHAIN_HOOK.set(chain);
    let _ = ALERT_HOOK.set(alert);
    let ctx = builder.as_ptr().cast::<c_void>();
    // SAFETY: `ctx` is the live SSL_CTX owned by `builder`; the callbacks are `extern "C"`
    // functions with libssl's signatures.
    unsafe {
        SSL_CTX_set_cert_cb(ctx, Some(cert_cb), std::ptr::null_mut());
        SSL_CTX_set_cert_verify_callback(ctx, Some(verify_cb), std::ptr::null_mut());
        SSL_CTX_set_info_callback(ctx, Some(info_cb));
        SSL_CTX_ctrl(
            ctx,
            SSL_CTRL_SET_MAX_CERT_LIST,
            c_long::try_from(max_cert_list).unwrap_or(c_long::MAX),
            std::ptr::null_mut(),
        );
    }
}

/// The CA names of the server's CertificateRequest, as DER Names (outer SEQUENCE
/// included), in order.
pub(crate) fn peer_ca_names(ssl: &SslRef) -> Vec<Vec<u8>> {
    // SAFETY: `ssl` is live; the list (possibly NULL) is owned by the SSL and outlives this
    // call.
    let list = unsafe { SSL_get_client_CA_list(ssl.as_ptr()) };
    if list.is_null() {
        return Vec::new();
    }
    // SAFETY: a non-NULL result is a STACK_OF(X509_NAME) owned by `ssl`.
    let stack: &StackRef<openssl::x509::X509Name> = unsafe { StackRef::from_ptr(list.cast()) };
    stack
        .iter()
        .filter_map(|name: &X509NameRef| name.to_der().ok())
        .collect()
}

/// Whether the server's CertificateRequest carried a certificate_authorities list with no
/// name in it (OpenSSL keeps NULL when there was none at all, an empty list when it was
/// empty: in TLS 1.3, an empty certificate_authorities extension).
pub(crate) fn peer_ca_names_empty_list(ssl: &SslRef) -> bool {
    // SAFETY: as in `peer_ca_names`.
    let list = unsafe { SSL_get_client_CA_list(ssl.as_ptr()) };
    if list.is_null() {
        return false;
    }
    // SAFETY: a non-NULL result is a STACK_OF(X509_NAME) owned by `ssl`.
    let stack: &StackRef<openssl::x509::X509Name> = unsafe { StackRef::from_ptr(list.cast()) };
    stack.is_empty()
}

/// The signature schemes (IANA codes) the server listed in its CertificateRequest.
pub(crate) fn peer_sigalgs(ssl: &mut SslRef) -> Vec<u16> {
    let ptr = ssl.as_ptr();
    let null = std::ptr::null_mut::<c_int>;
    let none = std::ptr::null_mut::<c_uchar>;
    // SAFETY: `ptr` is live; NULL out-pointers are allowed (the count is returned).
    let count = unsafe { SSL_get_sigalgs(ptr, -1, null(), null(), null(), none(), none()) };
    let mut schemes = Vec::new();
    for idx in 0..count.max(0) {
        let (mut rsig, mut rhash) = (0u8, 0u8);
        // SAFETY: `idx` is below the count; the out-pointers point at locals.
        unsafe {
            SSL_get_sigalgs(ptr, idx, null(), null(), null(), &mut rsig, &mut rhash);
        }
        schemes.push(u16::from(rhash) << 8 | u16::from(rsig));
    }
    schemes
}

/// The NID of the group the key exchange used (`SSL_get_negotiated_group`); 0 when none.
pub(crate) fn negotiated_group(ssl: &SslRef) -> i32 {
    // SAFETY: `ssl` is live; this control reads a field.
    let nid = unsafe {
        SSL_ctrl(
            ssl.as_ptr(),
            SSL_CTRL_GET_NEGOTIATED_GROUP,
            0,
            std::ptr::null_mut(),
        )
    };
    i32::try_from(nid).unwrap_or(0)
}

/// The server's handshake signature: (signature type NID, digest NID), when known.
pub(crate) fn peer_signature(ssl: &SslRef) -> Option<(i32, i32)> {
    let (mut kind, mut digest): (c_int, c_int) = (0, 0);
    // SAFETY: `ssl` is live; the out-pointers point at locals.
    let ok_kind = unsafe { SSL_get_peer_signature_type_nid(ssl.as_ptr(), &mut kind) };
    // SAFETY: as above (`SSL_get_peer_signature_nid` is this control).
    let ok_digest = unsafe {
        SSL_ctrl(
            ssl.as_ptr(),
            SSL_CTRL_GET_PEER_SIGNATURE_NID,
            0,
            (&mut digest as *mut c_int).cast(),
        )
    };
    (ok_kind == 1).then_some((kind, if ok_digest == 1 { digest } else { 0 }))
}

/// The key types whose public keys libcrypto decodes its 1.1.1 way once
/// [`fast_public_keys`] has run: EC (`NID_X9_62_id_ecPublicKey`) only. Not RSA, although its
/// decode gains as much (170 -> 11 us): the ENGINE also routes every RSA operation of the
/// process through the built-in method, which has no `RSA_PKCS1_WITH_TLS_PADDING`, so an
/// OpenSSL *server* in the same process (mock-receiver's legacy receivers under the scenario
/// runner and the capture replays) could no longer decrypt an RSA key exchange.
static FAST_KEY_NIDS: [c_int; 1] = [408];

unsafe extern "C" fn builtin_pkey_meths(
    _e: *mut c_void,
    pmeth: *mut *const c_void,
    nids: *mut *const c_int,
    nid: c_int,
) -> c_int {
    if pmeth.is_null() {
        if !nids.is_null() {
            // SAFETY: libcrypto passes a writable out-pointer for the NID list.
            unsafe { *nids = FAST_KEY_NIDS.as_ptr() };
        }
        return FAST_KEY_NIDS.len() as c_int;
    }
    // SAFETY: `EVP_PKEY_meth_find` reads libcrypto's static table of built-in methods.
    let found = unsafe { EVP_PKEY_meth_find(nid) };
    // SAFETY: `pmeth` is libcrypto's writable out-pointer (checked non-NULL above).
    unsafe { *pmeth = found };
    c_int::from(!found.is_null())
}

/// Makes libcrypto 3.0 decode EC public keys (in every `d2i_X509`, libssl's parse of the
/// server's chain included) through its built-in key methods instead of a provider decoder
/// chain, once per process.
///
/// Why: OpenSSL 3.0 builds a fresh `OSSL_DECODER_CTX` for every SubjectPublicKeyInfo it
/// parses (measured here, OpenSSL 3.0.19: `d2i_X509` of a P-256 certificate 216 us, of an
/// RSA-2048 one 170 us; 44 us and 11 us this way), about 40% of a connectivity test's CPU.
/// 3.0's `x509_pubkey_decode` takes the built-in (1.1.1) path only for a key type an ENGINE
/// claims, so this registers a method-only ENGINE whose methods are libcrypto's own
/// built-in ones (`EVP_PKEY_meth_find`): the same arithmetic, no other code, nothing on the
/// wire changes. EC operations of the process (ECDSA, ECDH, key generation) then take the
/// built-in methods too; keys of other types (RSA, see [`FAST_KEY_NIDS`], Ed25519, DSA ...)
/// keep the provider path.
/// Returns whether the ENGINE is in place.
pub(crate) fn fast_public_keys() -> bool {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DONE.get_or_init(|| {
        // SAFETY: plain libcrypto calls on an ENGINE this function owns; the id and name
        // are static NUL-terminated strings; the callback has `ENGINE_PKEY_METHS_PTR`'s
        // signature. `ENGINE_set_default_pkey_meths` takes its own references, so ours is
        // released at the end.
        unsafe {
            let e = ENGINE_new();
            if e.is_null() {
                return false;
            }
            let ok = ENGINE_set_id(e, c"harness-builtin-keys".as_ptr()) == 1
                && ENGINE_set_name(e, c"libcrypto built-in EC key methods".as_ptr()) == 1
                && ENGINE_set_pkey_meths(e, Some(builtin_pkey_meths)) == 1
                && ENGINE_set_default_pkey_meths(e) == 1;
            ENGINE_free(e);
            ok
        }
    })
}

/// `X509_V_ERR_UNSPECIFIED`: the verify error OpenSSL turns into a `certificate_unknown`
/// alert (its default), the alert JSSE sends for a refused server chain.
/// (`X509_V_ERR_APPLICATION_VERIFICATION`, the crate's constant, would send
/// `handshake_failure`.)
pub(crate) fn refused() -> openssl::x509::X509VerifyResult {
    // SAFETY: 1 is a valid X509_V_ERR code (X509_V_ERR_UNSPECIFIED).
    unsafe { openssl::x509::X509VerifyResult::from_raw(1) }
}
