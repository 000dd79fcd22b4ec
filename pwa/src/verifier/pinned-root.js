// The national root's fingerprint, pinned in the build. null (the default, for embedded and test
// deployments whose root is generated on first run): the verifier pins the root it gets from
// /api/v1/verifier-config on its first sync (trust on first use, over the app's own origin) and
// refuses any other root afterwards. A production build writes the hex SHA-256 of the root
// certificate's DER here (root_sha256 of GET /api/v1/verifier-config, or
// `openssl x509 -in instance/keys/root.crt.pem -outform DER | sha256sum`), and then even the
// first sync accepts only that root.
export const PINNED_ROOT_SHA256 = null;
