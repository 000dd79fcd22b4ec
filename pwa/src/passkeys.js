// WebAuthn ceremonies. The server's options are WebAuthn JSON (py_webauthn options_to_json);
// the browser parses them and serialises the credential with toJSON(): no base64url code here.
import {api} from './api.js';

export function supportsPasskeys() {
  return typeof globalThis.PublicKeyCredential?.parseRequestOptionsFromJSON === 'function'
    && typeof globalThis.PublicKeyCredential?.parseCreationOptionsFromJSON === 'function';
}

/** Sign in with a passkey; resolves to Me. A cancelled prompt rejects with NotAllowedError. */
export async function signInWithPasskey() {
  const {challenge_id, public_key} = await api.post('/auth/passkey-login/options', {});
  const credential = await navigator.credentials.get({
    publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(public_key),
  });
  return api.post('/auth/passkey-login', {challenge_id, credential: credential.toJSON()});
}

/** Register a new passkey for the signed-in account; resolves to the Passkey record. */
export async function addPasskey(name) {
  const {challenge_id, public_key} = await api.post('/auth/passkeys/options', {});
  const credential = await navigator.credentials.create({
    publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(public_key),
  });
  return api.post('/auth/passkeys', {challenge_id, credential: credential.toJSON(), name});
}

/** A name the person will recognise in the list of passkeys: the kind of device. */
export function defaultPasskeyName() {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iPhone/iPad'
    : /Mac OS X/.test(ua) ? 'Mac' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrome\/|Chromium\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : '';
  return [browser, os].filter(Boolean).join(' · ') || 'Passkey';
}

/** Is this a WebAuthn refusal (cancelled, timed out, no matching credential)? */
export function isWebAuthnRefusal(e) {
  return e?.name === 'NotAllowedError' || e?.name === 'AbortError' || e?.name === 'InvalidStateError';
}
