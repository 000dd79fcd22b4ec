// The one result shape of every verifier, the same as the server's (signing/verdict.py):
// status is one of STATUSES; reason names the check that decided (a code, never personal data);
// name, dob and doses are filled only once the signature has verified.
export const STATUSES = ['valid', 'invalid_signature', 'unknown_signer', 'expired', 'revoked', 'not_a_passport'];

export function verdict(status, reason = 'ok', {name = null, dob = null, doses = []} = {}) {
  return {status, reason, name, dob, doses};
}
