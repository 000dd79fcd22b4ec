// Provinces and wards (the two levels in force since the 2025 reform), fetched once per session.
import {api} from './api.js';

let provinces = null;
const wards = new Map();

export async function loadProvinces() {
  provinces ??= api.get('/places/provinces').catch((e) => { provinces = null; throw e; });
  return provinces;
}

export async function loadWards(provinceCode) {
  const key = String(provinceCode);
  if (!wards.has(key)) {
    wards.set(key, api.get(`/places/provinces/${encodeURIComponent(key)}/wards`)
      .catch((e) => { wards.delete(key); throw e; }));
  }
  return wards.get(key);
}

/** Fold Vietnamese text for matching: lower case, no tone marks, đ → d. */
export function fold(s) {
  return String(s ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase()
    .replace(/\b(tinh|thanh pho|tp\.?)\s+/g, '').replace(/\s+/g, ' ').trim();
}

/** The province whose name appears in a free-text address (best effort: the card's address). */
export function findProvince(list, address) {
  const a = fold(address);
  let best = null;
  for (const p of list ?? []) {
    const name = fold(p.name);
    if (name && a.includes(name) && (!best || name.length > fold(best.name).length)) best = p;
  }
  return best;
}
