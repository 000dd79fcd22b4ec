// The EU DCC value sets the verifier checks (EU DCC value sets §2.1, §2.8), copied from
// eu-digital-green-certificates/ehn-dcc-valuesets (Apache-2.0): country-2-codes.json
// (2019-11-01) and disease-agent-targeted.json (2021-04-27); the same codes
// as api/certificates/valuesets.py. PRODUCT_NAMES (vaccine-medicinal-product.json,
// 2022-11-30) only labels doses on the verdict screen; it decides nothing.

export const COUNTRY_CODES = new Set([
  'AD', 'AE', 'AF', 'AG', 'AI', 'AL', 'AM', 'AO', 'AQ', 'AR', 'AS', 'AT', 'AU', 'AW', 'AX', 'AZ',
  'BA', 'BB', 'BD', 'BE', 'BF', 'BG', 'BH', 'BI', 'BJ', 'BL', 'BM', 'BN', 'BO', 'BQ', 'BR', 'BS',
  'BT', 'BV', 'BW', 'BY', 'BZ', 'CA', 'CC', 'CD', 'CF', 'CG', 'CH', 'CI', 'CK', 'CL', 'CM', 'CN',
  'CO', 'CR', 'CU', 'CV', 'CW', 'CX', 'CY', 'CZ', 'DE', 'DJ', 'DK', 'DM', 'DO', 'DZ', 'EC', 'EE',
  'EG', 'EH', 'ER', 'ES', 'ET', 'FI', 'FJ', 'FK', 'FM', 'FO', 'FR', 'GA', 'GB', 'GD', 'GE', 'GF',
  'GG', 'GH', 'GI', 'GL', 'GM', 'GN', 'GP', 'GQ', 'GR', 'GS', 'GT', 'GU', 'GW', 'GY', 'HK', 'HM',
  'HN', 'HR', 'HT', 'HU', 'ID', 'IE', 'IL', 'IM', 'IN', 'IO', 'IQ', 'IR', 'IS', 'IT', 'JE', 'JM',
  'JO', 'JP', 'KE', 'KG', 'KH', 'KI', 'KM', 'KN', 'KP', 'KR', 'KW', 'KY', 'KZ', 'LA', 'LB', 'LC',
  'LI', 'LK', 'LR', 'LS', 'LT', 'LU', 'LV', 'LY', 'MA', 'MC', 'MD', 'ME', 'MF', 'MG', 'MH', 'MK',
  'ML', 'MM', 'MN', 'MO', 'MP', 'MQ', 'MR', 'MS', 'MT', 'MU', 'MV', 'MW', 'MX', 'MY', 'MZ', 'NA',
  'NC', 'NE', 'NF', 'NG', 'NI', 'NL', 'NO', 'NP', 'NR', 'NU', 'NZ', 'OM', 'PA', 'PE', 'PF', 'PG',
  'PH', 'PK', 'PL', 'PM', 'PN', 'PR', 'PS', 'PT', 'PW', 'PY', 'QA', 'RE', 'RO', 'RS', 'RU', 'RW',
  'SA', 'SB', 'SC', 'SD', 'SE', 'SG', 'SH', 'SI', 'SJ', 'SK', 'SL', 'SM', 'SN', 'SO', 'SR', 'SS',
  'ST', 'SV', 'SX', 'SY', 'SZ', 'TC', 'TD', 'TF', 'TG', 'TH', 'TJ', 'TK', 'TL', 'TM', 'TN', 'TO',
  'TR', 'TT', 'TV', 'TW', 'TZ', 'UA', 'UG', 'UM', 'US', 'UY', 'UZ', 'VA', 'VC', 'VE', 'VG', 'VI',
  'VN', 'VU', 'WF', 'WS', 'XK', 'YE', 'YT', 'ZA', 'ZM', 'ZW',
]);

export const DISEASE_AGENTS = new Set(['840539006']);

export const VALUE_SETS = {co: COUNTRY_CODES, tg: DISEASE_AGENTS};

/** EU value set "vaccine-medicinal-product" (mp) and the CVX codes SMART Health Cards use. */
export const PRODUCT_NAMES = {
  'EU/1/20/1528': 'Comirnaty',
  'EU/1/20/1507': 'Spikevax',
  'EU/1/21/1529': 'Vaxzevria',
  'EU/1/20/1525': 'Jcovden',
  'CVnCoV': 'CVnCoV',
  'NVX-CoV2373': 'NVX-CoV2373',
  'Sputnik-V': 'Sputnik-V',
  'Convidecia': 'Convidecia',
  'EpiVacCorona': 'EpiVacCorona',
  'BBIBP-CorV': 'BBIBP-CorV',
  'Inactivated-SARS-CoV-2-Vero-Cell': 'Inactivated SARS-CoV-2 (Vero Cell)',
  'CoronaVac': 'CoronaVac',
  'Covaxin': 'Covaxin',
  'Covishield': 'Covishield',
  'Covid-19-recombinant': 'Covid-19 (recombinant)',
  'R-COVI': 'R-COVI',
  'CoviVac': 'CoviVac',
  'Sputnik-Light': 'Sputnik Light',
  'Hayat-Vax': 'Hayat-Vax',
  'Abdala': 'Abdala',
  'WIBP-CorV': 'WIBP-CorV',
  'MVC-COV1901': 'MVC COVID-19 vaccine',
  'EU/1/21/1618': 'Nuvaxovid',
  'Covovax': 'Covovax',
  'Vidprevtyn': 'Vidprevtyn',
  'VLA2001': 'VLA2001',
  'EpiVacCorona-N': 'EpiVacCorona-N',
  'Sputnik-M': 'Sputnik M',
  'Covid-19-adsorvida-inativada': 'Vacina adsorvida covid-19 (inativada)',
  'NVSI-06-08': 'NVSI-06-08',
  'YS-SC2-010': 'YS-SC2-010',
  'SCTV01C': 'SCTV01C',
  'Covifenz': 'Covifenz',
  'AZD2816': 'AZD2816',
  'Soberana-02': 'Soberana 02',
  'Soberana-Plus': 'Soberana Plus',
  'EU/1/21/1624': 'COVID-19 Vaccine Valneva',
  'EU/1/21/1580': 'VidPrevtyn Beta',
  'EU/1/22/1709': 'Bimervax',
  // CVX (CDC): the codes our SMART Health Cards carry
  '207': 'Spikevax (Moderna)', '208': 'Comirnaty (Pfizer-BioNTech)', '210': 'Vaxzevria (AstraZeneca)',
  '211': 'Nuvaxovid (Novavax)', '212': 'Jcovden (Janssen)', '217': 'Comirnaty (Pfizer-BioNTech)',
  '218': 'Comirnaty (Pfizer-BioNTech)', '219': 'Comirnaty (Pfizer-BioNTech)',
  '221': 'Spikevax (Moderna)', '228': 'Spikevax (Moderna)', '229': 'Spikevax (Moderna)',
  '300': 'Comirnaty (Pfizer-BioNTech)', '301': 'Comirnaty (Pfizer-BioNTech)',
  '510': 'BBIBP-CorV (Sinopharm)', '511': 'CoronaVac (Sinovac)',
};
