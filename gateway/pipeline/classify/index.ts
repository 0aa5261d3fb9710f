/** The request classifier: the public surface of pipeline/classify. */
export { AMBIGUOUS } from './auth-form';
export { classify, needsForm, type ClassifyOptions, type ClassifyResult } from './classify';
export { canonicalPath } from './canonical-path';
export { canonicalPortal } from './host';
export { ARRAY_MARKER, mergeRequest, normaliseKey, parseCookieVars, parseQuery, phpUrlDecode } from './php-params';
export { formKind, isFormContentType, parseFormBody, type FormKind } from './form-body';
export { FormSniffer, type SniffResult } from './form-sniffer';
