/* Drives OpenSSL's EVP API the way Ceph's msgr2 secure mode does
 * (crypto_onwire.cc), plus contexts the key log must ignore. Run with the
 * cephshark-keylog library preloaded; prints one "check" line per property. */
#include <dlfcn.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t pending(void) {
  size_t (*f)(void) = (size_t (*)(void))dlsym(RTLD_DEFAULT, "cephshark_keylog_pending");
  return f ? f() : (size_t)-1;
}

int main(void) {
  unsigned char key[16], nonce[12], out[64];
  int n, failures = 0;
  for (int i = 0; i < 16; i++) key[i] = (unsigned char)i;
  for (int i = 0; i < 12; i++) nonce[i] = (unsigned char)(0xa0 + i);

  /* Two msgr2-style handlers: cipher first, IV length, key, then one IV per frame. */
  for (int dir = 0; dir < 2; dir++) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, NULL, NULL, dir == 0);
    ok &= EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL);
    key[0] = (unsigned char)dir;
    ok &= dir == 0 ? EVP_EncryptInit_ex(ctx, NULL, NULL, key, NULL)
                   : EVP_DecryptInit_ex(ctx, NULL, NULL, key, NULL);
    if (getenv("CEPH_KEYLOG_FILE") && pending() != 1) { printf("FAIL pending after key\n"); failures++; }
    for (int frame = 0; frame < 1000; frame++) {
      nonce[4] = (unsigned char)frame;
      errno = 4321;
      ok &= dir == 0 ? EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce)
                     : EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce);
      if (errno != 4321) { printf("FAIL errno changed\n"); failures++; break; }
      ok &= EVP_CipherUpdate(ctx, out, &n, (const unsigned char *)"frame", 5);
    }
    if (!ok) { printf("FAIL an OpenSSL call failed\n"); failures++; }
    EVP_CIPHER_CTX_free(ctx);
  }
  /* cephx-style AES-CBC: never logged. */
  EVP_CIPHER_CTX *cbc = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(cbc, EVP_aes_128_cbc(), NULL, key, (const unsigned char *)"cephsageyudagreg");
  EVP_CIPHER_CTX_free(cbc);
  /* AES-256-GCM: not msgr2, never logged. */
  unsigned char key32[32] = {0};
  EVP_CIPHER_CTX *g256 = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(g256, EVP_aes_256_gcm(), NULL, key32, nonce);
  EVP_CIPHER_CTX_free(g256);
  /* A GCM context given a key and never an IV, then freed: no state left. */
  EVP_CIPHER_CTX *lone = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(lone, EVP_aes_128_gcm(), NULL, key, NULL);
  EVP_CIPHER_CTX_free(lone);
  /* Key and IV in one call, then reset. */
  EVP_CIPHER_CTX *both = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex2(both, EVP_aes_128_gcm(), key, nonce, NULL);
  EVP_CIPHER_CTX_reset(both);
  EVP_CIPHER_CTX_free(both);
  printf("pending %zu\n", pending());
  printf("failures %d\n", failures);
  return failures != 0;
}
