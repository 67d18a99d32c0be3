//! cephshark-keylog: a preload library that records the AES-128-GCM keys and
//! initial nonces a Ceph process uses for msgr2 secure mode, much as
//! `SSLKEYLOGFILE` does for TLS.
//!
//! # Use
//!
//! ```text
//! CEPH_KEYLOG_FILE=/tmp/ceph.keys LD_PRELOAD=/path/to/libcephshark_keylog.so rados ...
//! cephshark --keys /tmp/ceph.keys capture.pcap
//! ```
//!
//! Every line appended to `$CEPH_KEYLOG_FILE` is `<key hex> <nonce hex>`: the
//! 16-byte key and the first 12-byte nonce of one connection direction, the
//! unnamed form of cephshark's key file. A process logs both directions of each
//! secure connection it takes part in (it encrypts one and decrypts the other).
//! The file is created with mode 0600 and opened in append mode; each line is
//! written with a single `write(2)`, so processes and threads sharing the file
//! do not interleave lines. Without `CEPH_KEYLOG_FILE` the library only
//! forwards calls.
//!
//! # How it works
//!
//! Ceph's msgr2 secure mode drives OpenSSL's EVP cipher API
//! (crypto_onwire.cc: `AES128GCM_OnWireTxHandler` / `..RxHandler`): one
//! `EVP_EncryptInit_ex` / `EVP_DecryptInit_ex` call names the cipher
//! (`EVP_aes_128_gcm`), a later one sets the key, and before every GCM
//! operation another sets only the IV (the current nonce). The first IV set
//! after the key is the connection direction's initial nonce.
//!
//! This library defines those EVP init functions (and their `CipherInit`,
//! `_ex2` and plain variants). Each one calls the real OpenSSL function, found
//! with `dlsym(RTLD_NEXT)`, with the arguments unchanged and returns its
//! result unchanged. After a successful call on an AES-128-GCM context
//! (`NID_aes_128_gcm`, 895) it remembers the key per context; at the first IV
//! after a key it writes the line and forgets the context. Contexts of other
//! ciphers (cephx's AES-CBC, anything else) are ignored. `EVP_CIPHER_CTX_free`
//! and `EVP_CIPHER_CTX_reset` are also wrapped, to drop the state of a context
//! that got a key but no IV, so no state outlives its context and nothing
//! grows per frame. `errno` is preserved across the logging.
//!
//! Works with OpenSSL 3 (`EVP_CIPHER_CTX_get0_cipher`, `EVP_CIPHER_get_nid`,
//! `EVP_CIPHER_CTX_get_iv_length`) and 1.1 (`EVP_CIPHER_CTX_cipher`,
//! `EVP_CIPHER_nid`, `EVP_CIPHER_CTX_iv_length`), resolved at run time.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

use std::cell::Cell;
use std::collections::BTreeMap;
use std::ffi::{c_int, c_void, CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Environment variable naming the file that receives the key lines.
pub const ENV_VAR: &str = "CEPH_KEYLOG_FILE";

/// OpenSSL's `NID_aes_128_gcm` (obj_mac.h).
const NID_AES_128_GCM: c_int = 895;
/// crypto_onwire.cc: AESGCM_KEY_LEN.
const KEY_LEN: usize = 16;
/// crypto_onwire.cc: AESGCM_IV_LEN (sizeof nonce_t).
const IV_LEN: usize = 12;
/// One log line: 32 hex digits, a space, 24 hex digits, a newline.
const LINE_LEN: usize = 2 * KEY_LEN + 1 + 2 * IV_LEN + 1;

/// `EVP_CIPHER_CTX *`
type Ctx = *mut c_void;
/// `const EVP_CIPHER *`
type Cipher = *const c_void;
/// `ENGINE *`
type Engine = *mut c_void;
/// `const OSSL_PARAM *` (OpenSSL 3 `_ex2` functions)
type Params = *const c_void;

/// A function of the next object in the lookup order, resolved once.
struct Real {
    /// NUL-terminated symbol name.
    name: &'static [u8],
    addr: AtomicPtr<c_void>,
}

impl Real {
    const fn new(name: &'static [u8]) -> Self {
        Real {
            name,
            addr: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The real function's address, or `None` if no loaded object has it.
    /// Concurrent first calls may both resolve it; they find the same address.
    fn get(&self) -> Option<*mut c_void> {
        let cached = self.addr.load(Ordering::Acquire);
        if !cached.is_null() {
            return Some(cached);
        }
        let found = lookup(self.name);
        if found.is_null() {
            return None;
        }
        self.addr.store(found, Ordering::Release);
        Some(found)
    }
}

/// Finds `name` (NUL-terminated) after this library in the lookup order, or
/// in an already loaded libcrypto (a process that loaded it with `dlopen`).
fn lookup(name: &'static [u8]) -> *mut c_void {
    let Ok(cname) = CStr::from_bytes_with_nul(name) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `cname` is a valid NUL-terminated string; RTLD_NEXT is a valid
    // pseudo-handle in a shared object. dlsym only reads its arguments.
    let next = unsafe { libc::dlsym(libc::RTLD_NEXT, cname.as_ptr()) };
    if !next.is_null() {
        return next;
    }
    for lib in [c"libcrypto.so.3", c"libcrypto.so.1.1"] {
        // SAFETY: valid NUL-terminated name; RTLD_NOLOAD never loads a new
        // object, it only returns a handle to one already in the process.
        let handle = unsafe { libc::dlopen(lib.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD) };
        if handle.is_null() {
            continue;
        }
        // SAFETY: `handle` came from dlopen above and is closed once below;
        // the library stays loaded because the process already held it.
        let sym = unsafe { libc::dlsym(handle, cname.as_ptr()) };
        // SAFETY: balances the dlopen above.
        unsafe { libc::dlclose(handle) };
        if !sym.is_null() {
            return sym;
        }
    }
    std::ptr::null_mut()
}

/// The path from `CEPH_KEYLOG_FILE`, read once; `None` when unset or empty.
fn log_path() -> Option<&'static CStr> {
    static PATH: OnceLock<Option<CString>> = OnceLock::new();
    PATH.get_or_init(|| {
        let value = std::env::var_os(ENV_VAR)?;
        if value.is_empty() {
            return None;
        }
        CString::new(value.as_bytes()).ok()
    })
    .as_deref()
}

/// Keys of AES-128-GCM contexts that have a key but no IV yet, by context address.
static PENDING: Mutex<BTreeMap<usize, [u8; KEY_LEN]>> = Mutex::new(BTreeMap::new());

fn pending() -> MutexGuard<'static, BTreeMap<usize, [u8; KEY_LEN]>> {
    // A poisoned lock only means a panic elsewhere; the map is still usable.
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn forget(ctx: Ctx) {
    pending().remove(&(ctx as usize));
}

thread_local! {
    /// How many wrapped init calls this thread is inside (OpenSSL 1.1's
    /// `EVP_EncryptInit_ex` calls the exported `EVP_CipherInit_ex`).
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Marks the current thread as inside a wrapped init call while alive.
struct Nesting {
    outermost: bool,
}

impl Nesting {
    fn enter() -> Self {
        let outermost = DEPTH
            .try_with(|depth| {
                let now = depth.get();
                depth.set(now.saturating_add(1));
                now == 0
            })
            .unwrap_or(false);
        Nesting { outermost }
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        let _ = DEPTH.try_with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// Restores `errno` when dropped, so logging never changes what the caller sees.
struct KeepErrno(c_int);

impl KeepErrno {
    fn save() -> Self {
        // SAFETY: __errno_location always returns this thread's errno slot.
        KeepErrno(unsafe { *libc::__errno_location() })
    }
}

impl Drop for KeepErrno {
    fn drop(&mut self) {
        // SAFETY: as in `save`; writing errno is what the slot is for.
        unsafe { *libc::__errno_location() = self.0 };
    }
}

/// The cipher's NID of an initialised context, if OpenSSL can tell.
fn cipher_nid(ctx: Ctx) -> Option<c_int> {
    static GET0_CIPHER: Real = Real::new(b"EVP_CIPHER_CTX_get0_cipher\0");
    static CTX_CIPHER: Real = Real::new(b"EVP_CIPHER_CTX_cipher\0");
    static GET_NID: Real = Real::new(b"EVP_CIPHER_get_nid\0");
    static NID: Real = Real::new(b"EVP_CIPHER_nid\0");
    type CipherOf = unsafe extern "C" fn(Ctx) -> Cipher;
    type NidOf = unsafe extern "C" fn(Cipher) -> c_int;
    let cipher_of = GET0_CIPHER.get().or_else(|| CTX_CIPHER.get())?;
    let nid_of = GET_NID.get().or_else(|| NID.get())?;
    // SAFETY: both addresses are OpenSSL functions with exactly these
    // signatures (evp.h: `const EVP_CIPHER *EVP_CIPHER_CTX_get0_cipher(const
    // EVP_CIPHER_CTX *)`, `int EVP_CIPHER_get_nid(const EVP_CIPHER *)`, and
    // the 1.1 names); `ctx` was just initialised successfully by OpenSSL.
    unsafe {
        let cipher_of: CipherOf = std::mem::transmute::<*mut c_void, CipherOf>(cipher_of);
        let nid_of: NidOf = std::mem::transmute::<*mut c_void, NidOf>(nid_of);
        let cipher = cipher_of(ctx);
        if cipher.is_null() {
            return None;
        }
        Some(nid_of(cipher))
    }
}

/// The IV length the context expects, if OpenSSL can tell.
fn iv_length(ctx: Ctx) -> Option<usize> {
    static GET_IV_LENGTH: Real = Real::new(b"EVP_CIPHER_CTX_get_iv_length\0");
    static IV_LENGTH: Real = Real::new(b"EVP_CIPHER_CTX_iv_length\0");
    type IvLengthOf = unsafe extern "C" fn(Ctx) -> c_int;
    let f = GET_IV_LENGTH.get().or_else(|| IV_LENGTH.get())?;
    // SAFETY: evp.h: `int EVP_CIPHER_CTX_get_iv_length(const EVP_CIPHER_CTX *)`
    // (1.1: `EVP_CIPHER_CTX_iv_length`); `ctx` has a cipher (checked by caller).
    let len = unsafe { std::mem::transmute::<*mut c_void, IvLengthOf>(f)(ctx) };
    usize::try_from(len).ok()
}

/// Runs after every successful wrapped init call on a context.
///
/// # Safety
/// `key`, when not null, must point to the context's key (16 bytes for
/// AES-128) and `iv`, when not null, to its IV, as OpenSSL requires of the
/// caller of the init function.
unsafe fn observe(ctx: Ctx, cipher: Cipher, key: *const u8, iv: *const u8) {
    let Some(path) = log_path() else {
        return;
    };
    if ctx.is_null() {
        return;
    }
    let _errno = KeepErrno::save();
    if !cipher.is_null() {
        // A cipher given again starts a new setup of this context.
        forget(ctx);
    }
    if key.is_null() && iv.is_null() {
        return;
    }
    if cipher_nid(ctx) != Some(NID_AES_128_GCM) {
        forget(ctx);
        return;
    }
    let iv_bytes = if iv.is_null() || iv_length(ctx) != Some(IV_LEN) {
        None
    } else {
        let mut bytes = [0u8; IV_LEN];
        // SAFETY: the context's IV length is IV_LEN (checked just above), so
        // OpenSSL itself read IV_LEN bytes from `iv` in the call just made.
        unsafe { std::ptr::copy_nonoverlapping(iv, bytes.as_mut_ptr(), IV_LEN) };
        Some(bytes)
    };
    let line = {
        let mut table = pending();
        if !key.is_null() {
            let mut bytes = [0u8; KEY_LEN];
            // SAFETY: the context is AES-128-GCM (checked above), whose key is
            // KEY_LEN bytes: OpenSSL read that many from `key` in this call.
            unsafe { std::ptr::copy_nonoverlapping(key, bytes.as_mut_ptr(), KEY_LEN) };
            table.insert(ctx as usize, bytes);
        }
        if iv.is_null() {
            None
        } else {
            // The first IV after the key ends this context's interest, whether
            // or not it has the 12-byte msgr2 shape.
            let key = table.remove(&(ctx as usize));
            key.zip(iv_bytes).map(|(k, n)| format_line(&k, &n))
        }
    };
    if let Some(line) = line {
        append(path, &line);
    }
}

/// `<key hex> <nonce hex>\n`, lowercase.
fn format_line(key: &[u8; KEY_LEN], nonce: &[u8; IV_LEN]) -> [u8; LINE_LEN] {
    let chars = key
        .iter()
        .flat_map(hex_pair)
        .chain(std::iter::once(b' '))
        .chain(nonce.iter().flat_map(hex_pair))
        .chain(std::iter::once(b'\n'));
    let mut line = [0u8; LINE_LEN];
    for (slot, c) in line.iter_mut().zip(chars) {
        *slot = c;
    }
    line
}

fn hex_pair(byte: &u8) -> [u8; 2] {
    let digit = |n: u8| if n < 10 { b'0' + n } else { b'a' + (n - 10) };
    [digit(byte >> 4), digit(byte & 0x0f)]
}

/// Appends one line with a single `write(2)`; errors are ignored.
fn append(path: &CStr, line: &[u8]) {
    let mode: libc::c_uint = 0o600;
    // SAFETY: `path` is NUL-terminated; the mode argument of the variadic
    // open is passed as the promoted `unsigned int` C expects.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT | libc::O_CLOEXEC,
            mode,
        )
    };
    if fd < 0 {
        return;
    }
    // SAFETY: `line` is a live buffer of `line.len()` bytes; `fd` is ours.
    let _ = unsafe { libc::write(fd, line.as_ptr().cast::<c_void>(), line.len()) };
    // SAFETY: closes the descriptor opened above, once.
    let _ = unsafe { libc::close(fd) };
}

/// Defines an exported wrapper of an EVP init function: forwards the call,
/// then, for the outermost wrapped call of the thread, observes its result.
macro_rules! init_wrapper {
    ($(#[$doc:meta])* $name:ident($ctx:ident: Ctx, $cipher:ident: Cipher $(, $arg:ident: $ty:ty)*)
     key = $key:ident, iv = $iv:ident) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// Same contract as the OpenSSL function of this name.
        #[no_mangle]
        pub unsafe extern "C" fn $name($ctx: Ctx, $cipher: Cipher $(, $arg: $ty)*) -> c_int {
            type RealFn = unsafe extern "C" fn(Ctx, Cipher $(, $ty)*) -> c_int;
            static REAL: Real = Real::new(concat!(stringify!($name), "\0").as_bytes());
            let Some(addr) = REAL.get() else {
                // No OpenSSL in the process: nothing could have been called.
                return 0;
            };
            // SAFETY: `addr` is the next definition of this very symbol, so
            // it has this signature (evp.h).
            let real = unsafe { std::mem::transmute::<*mut c_void, RealFn>(addr) };
            let nesting = Nesting::enter();
            // SAFETY: the caller's arguments are passed on unchanged, under
            // the caller's guarantees.
            let ret = unsafe { real($ctx, $cipher $(, $arg)*) };
            if ret == 1 && nesting.outermost {
                // SAFETY: OpenSSL accepted `key` and `iv` for this context.
                unsafe { observe($ctx, $cipher, $key, $iv) };
            }
            ret
        }
    };
}

init_wrapper!(
    /// Wraps OpenSSL's `EVP_EncryptInit_ex` (Ceph's tx handler).
    EVP_EncryptInit_ex(ctx: Ctx, cipher: Cipher, engine: Engine, key: *const u8, iv: *const u8)
    key = key, iv = iv
);
init_wrapper!(
    /// Wraps OpenSSL's `EVP_DecryptInit_ex` (Ceph's rx handler).
    EVP_DecryptInit_ex(ctx: Ctx, cipher: Cipher, engine: Engine, key: *const u8, iv: *const u8)
    key = key, iv = iv
);
init_wrapper!(
    /// Wraps OpenSSL's `EVP_CipherInit_ex`.
    EVP_CipherInit_ex(ctx: Ctx, cipher: Cipher, engine: Engine, key: *const u8, iv: *const u8, enc: c_int)
    key = key, iv = iv
);
init_wrapper!(
    /// Wraps OpenSSL 3's `EVP_EncryptInit_ex2`.
    EVP_EncryptInit_ex2(ctx: Ctx, cipher: Cipher, key: *const u8, iv: *const u8, params: Params)
    key = key, iv = iv
);
init_wrapper!(
    /// Wraps OpenSSL 3's `EVP_DecryptInit_ex2`.
    EVP_DecryptInit_ex2(ctx: Ctx, cipher: Cipher, key: *const u8, iv: *const u8, params: Params)
    key = key, iv = iv
);
init_wrapper!(
    /// Wraps OpenSSL 3's `EVP_CipherInit_ex2`.
    EVP_CipherInit_ex2(ctx: Ctx, cipher: Cipher, key: *const u8, iv: *const u8, enc: c_int, params: Params)
    key = key, iv = iv
);
init_wrapper!(
    /// Wraps OpenSSL's `EVP_EncryptInit`.
    EVP_EncryptInit(ctx: Ctx, cipher: Cipher, key: *const u8, iv: *const u8)
    key = key, iv = iv
);
init_wrapper!(
    /// Wraps OpenSSL's `EVP_DecryptInit`.
    EVP_DecryptInit(ctx: Ctx, cipher: Cipher, key: *const u8, iv: *const u8)
    key = key, iv = iv
);
init_wrapper!(
    /// Wraps OpenSSL's `EVP_CipherInit`.
    EVP_CipherInit(ctx: Ctx, cipher: Cipher, key: *const u8, iv: *const u8, enc: c_int)
    key = key, iv = iv
);

/// Wraps OpenSSL's `EVP_CIPHER_CTX_reset`: drops the context's pending key
/// before it is cleared.
///
/// # Safety
/// Same contract as the OpenSSL function.
#[no_mangle]
pub unsafe extern "C" fn EVP_CIPHER_CTX_reset(ctx: Ctx) -> c_int {
    type RealFn = unsafe extern "C" fn(Ctx) -> c_int;
    static REAL: Real = Real::new(b"EVP_CIPHER_CTX_reset\0");
    if log_path().is_some() && !ctx.is_null() {
        let _errno = KeepErrno::save();
        forget(ctx);
    }
    let Some(addr) = REAL.get() else {
        return 0;
    };
    // SAFETY: next definition of this symbol: `int (EVP_CIPHER_CTX *)`.
    let real = unsafe { std::mem::transmute::<*mut c_void, RealFn>(addr) };
    // SAFETY: the caller's argument, unchanged.
    unsafe { real(ctx) }
}

/// Wraps OpenSSL's `EVP_CIPHER_CTX_free`: drops the context's pending key
/// before the address can be reused.
///
/// # Safety
/// Same contract as the OpenSSL function.
#[no_mangle]
pub unsafe extern "C" fn EVP_CIPHER_CTX_free(ctx: Ctx) {
    type RealFn = unsafe extern "C" fn(Ctx);
    static REAL: Real = Real::new(b"EVP_CIPHER_CTX_free\0");
    if log_path().is_some() && !ctx.is_null() {
        let _errno = KeepErrno::save();
        forget(ctx);
    }
    if let Some(addr) = REAL.get() {
        // SAFETY: next definition of this symbol: `void (EVP_CIPHER_CTX *)`.
        let real = unsafe { std::mem::transmute::<*mut c_void, RealFn>(addr) };
        // SAFETY: the caller's argument, unchanged.
        unsafe { real(ctx) }
    }
}

/// Number of contexts holding a key and waiting for their first IV; lets
/// tests check that no state is left behind.
#[no_mangle]
pub extern "C" fn cephshark_keylog_pending() -> usize {
    pending().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_format() {
        let key = [
            0x5e, 0x32, 0xef, 0xc9, 0x5d, 0x7d, 0xd7, 0xfb, 0x44, 0xfc, 0x4f, 0xb6, 0xb3, 0x43,
            0x53, 0x33,
        ];
        let nonce = [
            0xc9, 0xa9, 0x55, 0x73, 0x19, 0x28, 0x03, 0xb6, 0xd6, 0xd2, 0xaa, 0xf0,
        ];
        let line = format_line(&key, &nonce);
        assert_eq!(
            &line[..],
            b"5e32efc95d7dd7fb44fc4fb6b3435333 c9a95573192803b6d6d2aaf0\n"
        );
    }
}
