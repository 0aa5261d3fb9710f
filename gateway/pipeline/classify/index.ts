/** The request classifier: the public surface of pipeline/classify. */
export { AMBIGUOUS } from './auth-form';
export { classify, headCarriesAuthForm, needsForm, type ClassifyOptions, type ClassifyResult } from './classify';
export { parseTarget, type RequestTarget } from './target';
export { canonicalPath } from './canonical-path';
export { canonicalPortal } from './host';
export { ARRAY_MARKER, lateMatteringKey, mergeRequest, normaliseKey, parseCookieVars, parseQuery, phpUrlDecode } from './php-params';
export { formKind, isFormContentType, parseFormBody, readFormBody, type FormKind, type FormRead } from './form-body';
export { phpBoundary, readPhpMultipart, PhpMultipartReader } from './php-multipart';
export { FormSniffer, type SniffResult } from './form-sniffer';
