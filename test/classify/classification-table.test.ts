/**
 * The table of request variants and what the classifier must call them. Each row is a request a
 * real portal (PHP behind nginx or Apache, Bitrix core) would route to REST or to its login handler,
 * or a look-alike that it would not. Every row is asserted: kind, the key principal fields, the REST
 * call, the secrets, and (where it matters) the canonical path, portal and reason.
 */
import { classify, needsForm, readFormBody } from '../../gateway/pipeline/classify';
import type { Credentials, FormFields, Principal, RequestKind, RestCall } from '../../gateway/pipeline/request';
import { basic, BOUNDARY, head, multipart, URLENCODED } from './helpers';

interface Row {
  readonly name: string;
  readonly method?: string;
  readonly target: string;
  readonly headers?: Record<string, string>;
  /** urlencoded body (string) or a ready multipart/other body. */
  readonly body?: string | { contentType: string; body: Buffer };
  readonly kind: RequestKind;
  readonly principal?: Partial<Principal>;
  readonly rest?: Partial<RestCall>;
  readonly credentials?: Partial<Credentials>;
  readonly reason?: string | RegExp;
  readonly path?: string;
  readonly portal?: string;
  /** Whether the edge must buffer the body; checked when the row has a body. */
  readonly buffered?: boolean;
  /** The request is refused (400) for this reason: by the classifier, or as a body PHP could read two ways. */
  readonly refused?: string;
}

const WEBHOOK = { restVia: 'webhook', webhookUserId: '1' } as const;
const UC = { method: 'user.current', format: 'json', entry: 'rest' } as const;

const rows: Row[] = [
  // ---- REST: incoming webhooks, and every spelling of the path a layer could route to /rest/ ----
  { name: 'webhook, no suffix', target: '/rest/1/abc123/user.current', kind: 'rest', principal: WEBHOOK, rest: UC, credentials: { webhookCode: 'abc123' }, reason: 'rest:webhook' },
  { name: 'webhook .json', target: '/rest/1/abc123/user.current.json', kind: 'rest', principal: WEBHOOK, rest: UC },
  { name: 'webhook .xml', target: '/rest/1/abc123/crm.deal.list.xml', kind: 'rest', rest: { method: 'crm.deal.list', format: 'xml' } },
  { name: 'webhook .JSON upper-case suffix', target: '/rest/1/abc123/user.current.JSON', kind: 'rest', rest: UC },
  { name: 'upper-case /REST/', target: '/REST/1/abc123/user.current', kind: 'rest', principal: WEBHOOK, rest: UC },
  { name: 'mixed case /Rest/ and method', target: '/Rest/1/x/User.Current', kind: 'rest', rest: UC, credentials: { webhookCode: 'x' } },
  { name: 'code keeps its case', target: '/rest/1/AbCdEf0123456789/user.current', kind: 'rest', credentials: { webhookCode: 'AbCdEf0123456789' } },
  { name: 'doubled slashes', target: '//rest//1/abc123//user.current', kind: 'rest', rest: UC, path: '/rest/1/{code}/user.current' },
  { name: 'dot segment', target: '/./rest/1/abc123/user.current', kind: 'rest', rest: UC, path: '/rest/1/{code}/user.current' },
  { name: 'dot-dot segment', target: '/foo/../rest/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: 'two dot-dots', target: '/a/b/../../rest/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: 'dot-dot above root', target: '/../../rest/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: 'encoded dot-dot', target: '/crm/%2e%2e/rest/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: 'encoded slash and dot-dot', target: '/crm/..%2F..%2Frest/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: '%2F everywhere', target: '/%2Frest%2F1%2Fabc123%2Fuser.current', kind: 'rest', rest: UC, credentials: { webhookCode: 'abc123' } },
  { name: '%72 for r', target: '/%72est/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: 'all letters encoded, upper case', target: '/%52%45%53%54/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: 'double-encoded slash %252F', target: '/rest%252F1%252Fabc123%252Fuser.current', kind: 'rest', rest: UC },
  { name: 'double-encoded letter %2572', target: '/%2572est/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: 'triple-encoded slash', target: '/rest%25252F1/abc123/user.current', kind: 'rest', rest: UC },
  { name: ';params on the prefix', target: '/rest;x=1/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: ';jsessionid in the code segment', target: '/rest/1/abc123;jsessionid=9/user.current', kind: 'rest', credentials: { webhookCode: 'abc123' } },
  { name: 'trailing dot on the prefix', target: '/rest./1/abc123/user.current', kind: 'rest', rest: UC },
  { name: 'trailing dot on the method', target: '/rest/1/abc123/user.current.', kind: 'rest', rest: UC },
  { name: 'trailing slash', target: '/rest/1/abc123/user.current/', kind: 'rest', rest: UC },
  { name: 'trailing slash + index.php', target: '/rest/1/abc123/user.current/index.php', kind: 'rest', rest: UC },
  { name: 'backslashes', target: '/rest\\1\\abc123\\user.current', kind: 'rest', rest: UC },
  { name: 'NUL bytes', target: '/re%00st/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: 'overlong UTF-8 slash', target: '/%C0%AFrest/1/abc123/user.current', kind: 'rest', rest: UC },
  { name: 'invalid UTF-8 in the path', target: '/rest/1/abc123/%ff%fe.user', kind: 'rest', principal: WEBHOOK },
  { name: 'fragment in the target', target: '/rest/1/abc123/user.current#/../../crm', kind: 'rest', principal: WEBHOOK },
  { name: 'bare /rest', target: '/rest', kind: 'rest', rest: { method: '', entry: 'rest' }, principal: { restVia: 'none' } },
  { name: '/rest/?method=', target: '/rest/?method=User.Current&auth=tok1', kind: 'rest', rest: UC, principal: { restVia: 'oauth' }, credentials: { oauthToken: 'tok1' } },
  { name: 'webhook without method', target: '/rest/1/abc123', kind: 'rest', principal: WEBHOOK, rest: { method: '' }, credentials: { webhookCode: 'abc123' } },
  { name: 'webhook by aplogin/ap query', target: '/rest/user.current?aplogin=7&ap=code7', kind: 'rest', principal: { restVia: 'webhook', webhookUserId: '7' }, credentials: { webhookCode: 'code7' } },
  { name: 'batch', target: '/rest/1/abc123/batch.json', kind: 'rest', rest: { method: 'batch', format: 'json' } },
  { name: 'HEAD on a webhook', method: 'HEAD', target: '/rest/1/abc123/user.current', kind: 'rest', principal: WEBHOOK },
  { name: 'OPTIONS on REST', method: 'OPTIONS', target: '/rest/user.current.json', kind: 'rest', principal: { restVia: 'none' } },
  { name: 'POST JSON webhook streams', method: 'POST', target: '/rest/1/abc123/crm.deal.add.json', body: { contentType: 'application/json', body: Buffer.from('{"fields":{"TITLE":"x"}}') }, kind: 'rest', rest: { method: 'crm.deal.add' }, buffered: false },
  { name: 'POST form webhook is read (PHP parses every form body)', method: 'POST', target: '/rest/1/abc123/crm.deal.add', body: 'fields[TITLE]=x', kind: 'rest', rest: { method: 'crm.deal.add' }, buffered: true },
  { name: 'WebSocket upgrade on REST stays REST', target: '/rest/1/abc123/user.current', headers: { upgrade: 'websocket', connection: 'Upgrade' }, kind: 'rest' },
  // ---- REST: OAuth and sessions ----
  { name: 'OAuth auth= in query', target: '/rest/user.current.json?auth=tokA', kind: 'rest', principal: { restVia: 'oauth' }, rest: UC, credentials: { oauthToken: 'tokA' }, reason: 'rest:oauth' },
  { name: 'OAuth access_token=', target: '/rest/crm.deal.list?access_token=tokB', kind: 'rest', principal: { restVia: 'oauth' }, credentials: { oauthToken: 'tokB' } },
  { name: 'OAuth key spelled +auth', target: '/rest/user.current.json?+auth=tokC', kind: 'rest', principal: { restVia: 'oauth' }, credentials: { oauthToken: 'tokC' } },
  { name: 'Bearer header', target: '/rest/user.current.json', headers: { authorization: 'Bearer tokD' }, kind: 'rest', principal: { restVia: 'oauth' }, credentials: { oauthToken: 'tokD' } },
  { name: 'bearer (lower-case scheme)', target: '/rest/user.current.json', headers: { authorization: 'bearer tokE' }, kind: 'rest', principal: { restVia: 'oauth' } },
  { name: 'session cookie', target: '/rest/user.current.json?sessid=abc', headers: { cookie: 'PHPSESSID=s1; BITRIX_SM_LOGIN=bob' }, kind: 'rest', principal: { restVia: 'session' }, reason: 'rest:session' },
  { name: 'BITRIX_SM cookie only', target: '/rest/user.current.json', headers: { cookie: 'BITRIX_SM_UIDL=bob' }, kind: 'rest', principal: { restVia: 'session' } },
  { name: 'no auth at all', target: '/rest/user.current.json', kind: 'rest', principal: { restVia: 'none' }, reason: 'rest:none' },
  { name: 'Basic on REST: still rest, login seen', target: '/rest/user.current.json', headers: { authorization: basic('alice', 'pw1') }, kind: 'rest', principal: { login: 'alice', loginVia: 'basic', restVia: 'none' }, credentials: { password: 'pw1' }, reason: 'rest:none+basic_auth' },
  { name: 'Digest on REST', target: '/rest/1/abc123/user.current', headers: { authorization: 'Digest username="alice", realm="x", nonce="n", uri="/", response="r"' }, kind: 'rest', principal: { login: 'alice', loginVia: 'digest', restVia: 'webhook' } },
  { name: 'AUTH_FORM in a REST query: refused', target: '/local/rest/user.current?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=eve&USER_PASSWORD=pw', kind: 'login', principal: { login: 'eve', loginVia: 'form' }, refused: 'login_on_rest_path' },
  // ---- REST: other entry points ----
  { name: 'REST v3 webhook', target: '/rest/api/1/abc123/tasks.task.get', kind: 'rest', principal: WEBHOOK, rest: { method: 'tasks.task.get', entry: 'rest_api_v3' } },
  { name: 'REST v3 OAuth', target: '/REST/API/user.current?auth=t', kind: 'rest', principal: { restVia: 'oauth' }, rest: { method: 'user.current', entry: 'rest_api_v3' } },
  { name: 'services index ?method=', target: '/bitrix/services/rest/index.php?method=user.current&auth=t', kind: 'rest', rest: { method: 'user.current', entry: 'services_index' }, principal: { restVia: 'oauth' } },
  { name: 'services index, case and .json', target: '/Bitrix/Services/REST/index.php?method=CRM.DEAL.LIST.json', kind: 'rest', rest: { method: 'crm.deal.list', format: 'json', entry: 'services_index' } },
  { name: 'services index PATH_INFO', target: '/bitrix/services/rest/index.php/user.current', kind: 'rest', rest: { method: 'user.current', entry: 'services_index' } },
  { name: 'services index webhook via query', target: '/bitrix/services/rest/index.php?method=user.current&aplogin=1&ap=abc123', kind: 'rest', principal: WEBHOOK, credentials: { webhookCode: 'abc123' } },
  { name: 'services directory', target: '/bitrix/services/rest/', kind: 'rest', rest: { entry: 'services_index', method: '' } },
  { name: 'module copy of the service', target: '/bitrix/modules/rest/services/rest/index.php?method=user.current', kind: 'rest', rest: { entry: 'services_index', method: 'user.current' } },
  { name: '/local/rest/ webhook', target: '/local/rest/1/abc123/user.current', kind: 'rest', principal: WEBHOOK, rest: { entry: 'local_rest', method: 'user.current' } },
  { name: '/LOCAL/REST/ OAuth', target: '/LOCAL/REST/user.current.json?auth=t', kind: 'rest', rest: { entry: 'local_rest' }, principal: { restVia: 'oauth' } },
  { name: 'absolute-form REST target', target: 'http://Other.Host:8080/rest/1/abc123/user.current', kind: 'rest', portal: 'other.host', principal: WEBHOOK },
  // ---- OAuth token endpoint ----
  { name: '/oauth/token/ refresh', target: '/oauth/token/?grant_type=refresh_token&client_id=app.1&client_secret=s&refresh_token=RT1', kind: 'oauth_token', principal: { clientId: 'app.1' }, credentials: { oauthToken: 'RT1' } },
  { name: '/OAUTH/TOKEN no slash', target: '/OAUTH/TOKEN?client_id=app.2', kind: 'oauth_token', principal: { clientId: 'app.2' } },
  { name: '//oauth//token//', target: '//oauth//token//', kind: 'oauth_token' },
  { name: '/oauth/token/index.php', target: '/oauth/token/index.php?client_id=app.3&code=C1', kind: 'oauth_token', principal: { clientId: 'app.3' }, credentials: { oauthToken: 'C1' } },
  { name: 'POST /oauth/token/ form', method: 'POST', target: '/oauth/token/', body: 'grant_type=authorization_code&client_id=app.4&code=C2', kind: 'oauth_token', principal: { clientId: 'app.4' }, buffered: true },
  // ---- the login form, on any page, any method ----
  { name: 'POST /auth/', method: 'POST', target: '/auth/', body: 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=admin&USER_PASSWORD=pw1', kind: 'login', principal: { login: 'admin', loginVia: 'form' }, credentials: { password: 'pw1' }, reason: 'auth_form:post', buffered: true },
  { name: 'POST /auth/?login=yes', method: 'POST', target: '/auth/?login=yes', body: 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=admin&USER_PASSWORD=pw1&USER_REMEMBER=Y&backurl=%2F', kind: 'login', principal: { login: 'admin' }, buffered: true },
  { name: 'GET on any page', target: '/crm/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=admin&USER_PASSWORD=pw2', kind: 'login', principal: { login: 'admin', loginVia: 'form' }, credentials: { password: 'pw2' }, reason: 'auth_form:query' },
  { name: 'login trimmed, + is a space', target: '/crm/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=+admin%09+&USER_PASSWORD=pw', kind: 'login', principal: { login: 'admin' } },
  { name: 'UTF-8 login', target: '/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=%D0%B0%D0%B4%D0%BC%D0%B8%D0%BD', kind: 'login', principal: { login: 'админ' } },
  { name: 'multipart POST', method: 'POST', target: '/crm/', body: multipart([{ name: 'AUTH_FORM', value: 'Y' }, { name: 'TYPE', value: 'AUTH' }, { name: 'USER_LOGIN', value: 'mp' }, { name: 'USER_PASSWORD', value: 'pw3' }]), kind: 'login', principal: { login: 'mp' }, credentials: { password: 'pw3' }, reason: 'auth_form:post', buffered: true },
  { name: 'multipart AUTH.FORM name', method: 'POST', target: '/', body: multipart([{ name: 'AUTH.FORM', value: 'Y' }, { name: 'TYPE', value: 'AUTH' }, { name: 'USER_LOGIN', value: 'mp2' }]), kind: 'login', principal: { login: 'mp2' }, buffered: true },
  { name: 'multipart file part named AUTH_FORM (PHP: $_FILES, and it hides later fields of that name)', method: 'POST', target: '/', body: multipart([{ name: 'AUTH_FORM', value: 'Y', filename: 'a.txt' }, { name: 'TYPE', value: 'AUTH' }, { name: 'USER_LOGIN', value: 'mp3' }]), kind: 'other', buffered: true, refused: 'multipart:file_part_named_AUTH_FORM' },
  { name: 'form content type in odd case', method: 'POST', target: '/', headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' }, body: 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=ct', kind: 'login', principal: { login: 'ct' }, buffered: true },
  { name: 'key AUTH.FORM', target: '/?AUTH.FORM=Y&TYPE=AUTH&USER_LOGIN=k1', kind: 'login', principal: { login: 'k1' } },
  { name: 'key AUTH%5FFORM', target: '/?AUTH%5FFORM=Y&TYPE=AUTH&USER_LOGIN=k2', kind: 'login', principal: { login: 'k2' } },
  { name: 'key AUTH+FORM', target: '/?AUTH+FORM=Y&TYPE=AUTH&USER_LOGIN=k3', kind: 'login', principal: { login: 'k3' } },
  { name: 'key AUTH%20FORM', target: '/?AUTH%20FORM=Y&TYPE=AUTH&USER_LOGIN=k4', kind: 'login' },
  { name: 'key with leading spaces', target: '/?++%20AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=k5', kind: 'login', principal: { login: 'k5' } },
  { name: 'key with encoded letters', target: '/?%41%55%54%48_%46ORM=Y&%54YPE=AUTH&USER_LOGIN=k6', kind: 'login', principal: { login: 'k6' } },
  { name: 'key AUTH[FORM (unclosed bracket)', target: '/?AUTH[FORM=Y&TYPE=AUTH&USER_LOGIN=k7', kind: 'login', principal: { login: 'k7' } },
  { name: 'AUTH_FORM as an array', target: '/?AUTH_FORM[]=&TYPE=AUTH&USER_LOGIN=k8', kind: 'login', principal: { login: 'k8' } },
  { name: 'key cut at NUL', target: '/?AUTH_FORM%00junk=Y&TYPE=AUTH&USER_LOGIN=k9', kind: 'login', principal: { login: 'k9' } },
  { name: 'AUTH_FORM=0 still counts', target: '/?AUTH_FORM=0&TYPE=AUTH&USER_LOGIN=k10', kind: 'login' },
  // AUTH_FORM only when split on ';' too (arg_separator.input "&;"): the portal's php.ini decides.
  { name: '; as a query separator', target: '/crm/?x=1;AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=k11', kind: 'login', principal: { login: 'k11' }, refused: 'ambiguous_login' },
  { name: 'AUTH_FORM in a cookie', target: '/crm/', headers: { cookie: 'AUTH_FORM=Y; TYPE=AUTH; USER_LOGIN=ck' }, kind: 'login', principal: { login: 'ck' }, reason: 'auth_form:cookie' },
  { name: 'body wins over query', method: 'POST', target: '/crm/?AUTH_FORM=Y&TYPE=SEND_PWD&USER_LOGIN=fromquery', body: 'TYPE=AUTH&USER_LOGIN=frombody&USER_PASSWORD=pw', kind: 'login', principal: { login: 'frombody' }, credentials: { password: 'pw' }, reason: 'auth_form:query', buffered: true },
  { name: 'last value wins', target: '/?AUTH_FORM=Y&TYPE=SEND_PWD&TYPE=AUTH&USER_LOGIN=a&USER_LOGIN=b', kind: 'login', principal: { login: 'b' } },
  { name: 'HEAD with AUTH_FORM', method: 'HEAD', target: '/crm/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=h', kind: 'login', principal: { login: 'h' } },
  { name: 'OPTIONS with AUTH_FORM', method: 'OPTIONS', target: '/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=o', kind: 'login' },
  { name: 'admin panel form', method: 'POST', target: '/bitrix/admin/?login=yes', body: 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=root&USER_PASSWORD=pw', kind: 'login', principal: { login: 'root' }, buffered: true },
  { name: 'TYPE missing', target: '/?AUTH_FORM=Y&USER_LOGIN=t1', kind: 'login', principal: { login: 't1' }, reason: 'auth_form:query:type_unknown' },
  { name: 'TYPE lower case', target: '/?AUTH_FORM=Y&TYPE=auth&USER_LOGIN=t2', kind: 'login', reason: 'auth_form:query:type_unknown' },
  { name: 'TYPE=REGISTRATION', method: 'POST', target: '/auth/', body: 'AUTH_FORM=Y&TYPE=REGISTRATION&USER_LOGIN=new&USER_PASSWORD=pw', kind: 'login', reason: 'auth_form:post:registration', buffered: true },
  // ---- the other steps of the form ----
  { name: 'OTP', method: 'POST', target: '/auth/', body: 'AUTH_FORM=Y&TYPE=OTP&USER_OTP=123456&sessid=s', kind: 'otp', principal: { loginVia: 'form' }, credentials: { otp: '123456' }, buffered: true },
  { name: 'OTP by GET', target: '/?AUTH_FORM=Y&TYPE=OTP&USER_OTP=654321', kind: 'otp', credentials: { otp: '654321' } },
  { name: 'recovery by login', method: 'POST', target: '/auth/?forgot_password=yes', body: 'AUTH_FORM=Y&TYPE=SEND_PWD&USER_LOGIN=bob', kind: 'password_recovery', principal: { login: 'bob' }, buffered: true },
  { name: 'recovery by email', method: 'POST', target: '/auth/', body: 'AUTH_FORM=Y&TYPE=SEND_PWD&USER_EMAIL=bob%40example.com', kind: 'password_recovery', principal: { email: 'bob@example.com' }, buffered: true },
  { name: 'recovery by phone', target: '/?AUTH_FORM=Y&TYPE=SEND_PWD&USER_PHONE_NUMBER=%2B79990001122', kind: 'password_recovery', principal: { phone: '+79990001122' } },
  { name: 'change by POST', method: 'POST', target: '/auth/?change_password=yes', body: 'AUTH_FORM=Y&TYPE=CHANGE_PWD&USER_LOGIN=bob&USER_CHECKWORD=cw1&USER_PASSWORD=New-Pw1&USER_CONFIRM_PASSWORD=New-Pw1', kind: 'password_change', principal: { login: 'bob' }, credentials: { checkword: 'cw1', newPassword: 'New-Pw1' }, buffered: true },
  { name: 'change by GET is ignored by the portal', target: '/auth/?AUTH_FORM=Y&TYPE=CHANGE_PWD&USER_LOGIN=bob&USER_CHECKWORD=cw1&USER_PASSWORD=x', kind: 'other', reason: 'auth_form:query:change_pwd_ignored_not_post' },
  // ---- HTTP authorization and hash logins on pages ----
  { name: 'Basic on a page', target: '/crm/', headers: { authorization: basic('carol', 'pw4') }, kind: 'login', principal: { login: 'carol', loginVia: 'basic' }, credentials: { password: 'pw4' }, reason: 'basic_auth' },
  { name: 'Basic, scheme in upper case', target: '/', headers: { authorization: basic('dave', 'pw').replace('Basic', 'BASIC') }, kind: 'login', principal: { login: 'dave' } },
  { name: 'Digest on a page', target: '/crm/', headers: { authorization: 'Digest username="erin", realm="Bitrix Site Manager", nonce="n", uri="/crm/", response="r"' }, kind: 'login', principal: { login: 'erin', loginVia: 'digest' }, reason: 'digest_auth' },
  { name: 'Basic and a form together', target: '/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=form', headers: { authorization: basic('hdr', 'pw') }, kind: 'login', principal: { login: 'hdr', loginVia: 'basic' }, reason: 'basic_auth+auth_form:query' },
  // The portal runs both the header's login and the form: two kinds in one request, refused.
  { name: 'Basic and a recovery form', target: '/?AUTH_FORM=Y&TYPE=SEND_PWD&USER_LOGIN=form', headers: { authorization: basic('hdr', 'pw') }, kind: 'password_recovery', refused: 'header_login_with_form' },
  { name: 'Basic and a one-time-code form', target: '/?AUTH_FORM=Y&TYPE=OTP&USER_OTP=123456', headers: { authorization: basic('hdr', 'pw') }, kind: 'otp', refused: 'header_login_with_form' },
  { name: 'Digest and a recovery form', target: '/?AUTH_FORM=Y&TYPE=SEND_PWD&USER_EMAIL=a%40b.test', headers: { authorization: 'Digest username="hdr", nonce="n", uri="/", response="r"' }, kind: 'password_recovery', refused: 'header_login_with_form' },
  { name: 'bx_hit_hash', target: '/calendar/ical.php?bx_hit_hash=abcdef', kind: 'login', principal: { loginVia: 'hash' }, reason: 'hit_hash' },
  { name: 'bx.hit.hash spelling', target: '/?bx.hit.hash=abcdef', kind: 'login', principal: { loginVia: 'hash' } },
  { name: 'empty bx_hit_hash', target: '/?bx_hit_hash=+', kind: 'other' },
  // ---- look-alikes that are not logins ----
  { name: 'login=yes alone', target: '/auth/?login=yes', kind: 'other' },
  { name: 'admin login page alone', target: '/bitrix/admin/index.php?login=yes', kind: 'other' },
  { name: 'lower-case auth_form key', target: '/?auth_form=Y&TYPE=AUTH', kind: 'other' },
  { name: 'empty AUTH_FORM', target: '/?AUTH_FORM=&TYPE=AUTH&USER_LOGIN=x', kind: 'other' },
  { name: 'AUTH_FORM emptied by a later pair', target: '/?AUTH_FORM=Y&AUTH_FORM=&TYPE=AUTH', kind: 'other' },
  { name: 'AUTH_FORM[ (no closing bracket) is AUTH_FORM_', target: '/?AUTH_FORM[=Y&TYPE=AUTH', kind: 'other' },
  { name: 'PUT body is not $_POST', method: 'PUT', target: '/crm/', body: 'AUTH_FORM=Y&TYPE=AUTH', kind: 'other', buffered: false },
  { name: 'POST without a form type', method: 'POST', target: '/crm/', body: { contentType: 'text/plain', body: Buffer.from('AUTH_FORM=Y&TYPE=AUTH') }, kind: 'other', buffered: false },
  // ---- push & pull, static files ----
  { name: 'WebSocket upgrade', target: '/bitrix/subws/?CHANNEL_ID=abc', headers: { upgrade: 'websocket', connection: 'Upgrade' }, kind: 'websocket' },
  { name: 'WebSocket with a login in the query is a login', target: '/bitrix/subws/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=ws', headers: { upgrade: 'WebSocket' }, kind: 'login', principal: { login: 'ws' } },
  { name: 'long polling', target: '/bitrix/sub/?CHANNEL_ID=abc', kind: 'other' },
  { name: 'static JS', target: '/bitrix/js/main/core.js', kind: 'other', path: '/bitrix/js/main/core.js', reason: 'other' },
  { name: 'static CSS', target: '/bitrix/css/main/bootstrap.css?v=1', kind: 'other' },
  { name: 'upload', target: '/upload/iblock/abc/photo.png', kind: 'other' },
  { name: '/restaurant/ is not /rest/', target: '/restaurant/', kind: 'other' },
  { name: '/rest-api/ is not /rest/', target: '/rest-api/v1', kind: 'other' },
  { name: '/oauth/authorize/ is not the token endpoint', target: '/oauth/authorize/?client_id=x', kind: 'other' },
  // ---- Host and target forms ----
  { name: 'Host with port, trailing dot, upper case', target: '/crm/', headers: { host: 'PORTAL.Example.COM.:8443' }, kind: 'other', portal: 'portal.example.com' },
  { name: 'IPv6 Host', target: '/', headers: { host: '[2001:DB8::1]:8080' }, kind: 'other', portal: '[2001:db8::1]' },
  { name: 'absolute-form login wins over Host', target: 'https://Other.Host.:443/crm/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=abs', kind: 'login', portal: 'other.host', principal: { login: 'abs' } },
  { name: 'absolute-form with userinfo is refused', target: 'https://user@Other.Host.:443/crm/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=abs', kind: 'other', portal: 'other.host', refused: 'target_authority' },
  { name: 'absolute-form without a path', target: 'http://other.host', kind: 'other', portal: 'other.host', path: '/' },
  { name: 'asterisk-form', method: 'OPTIONS', target: '*', kind: 'other' },
  // ---- issue 15: one parse of every request ----
  { name: 'query creds, AUTH_FORM in the body, any page', method: 'POST', target: '/crm/?USER_LOGIN=q1&USER_PASSWORD=pw1', body: 'AUTH_FORM=Y&TYPE=AUTH', kind: 'login', principal: { login: 'q1', loginVia: 'form' }, credentials: { password: 'pw1' }, reason: 'auth_form:post', buffered: true },
  { name: 'query creds spelled USER.LOGIN, body AUTH%5FFORM', method: 'POST', target: '/?USER.LOGIN=q2&USER+PASSWORD=pw1', body: 'AUTH%5FFORM=Y&TYPE=AUTH', kind: 'login', principal: { login: 'q2' }, buffered: true },
  { name: '/rest./ with a login body: refused', method: 'POST', target: '/rest./', body: 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=r1&USER_PASSWORD=pw1', kind: 'login', principal: { login: 'r1' }, refused: 'login_on_rest_path', buffered: true },
  { name: '/REST/ webhook with a login body: refused', method: 'POST', target: '/REST/1/abc123/user.current', body: 'AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=r2', kind: 'login', refused: 'login_on_rest_path', buffered: true },
  { name: 'bx_hit_hash on a REST spelling: refused', target: '/rest%2e/?bx_hit_hash=abcdef', kind: 'login', refused: 'login_on_rest_path' },
  { name: 'absolute-form, escaped authority: refused', method: 'POST', target: 'http://portal%2eexample.com/auth/', kind: 'other', portal: 'portal%2eexample.com', refused: 'target_authority' },
  { name: 'absolute-form, empty authority: refused', target: 'http:///other.host/rest/1/abc123/user.current', kind: 'other', refused: 'target_authority' },
  { name: 'absolute-form, another scheme: refused', target: 'ftp://portal.example.com/auth/', kind: 'other', refused: 'target_scheme' },
  { name: 'a login key past 1000 query pairs: refused', target: `/crm/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=a&${'x=1&'.repeat(1000)}USER_LOGIN=b`, kind: 'other', refused: 'input_vars:USER_LOGIN' },
  { name: 'harmless keys past 1000 pairs are fine', target: `/crm/?AUTH_FORM=Y&TYPE=AUTH&USER_LOGIN=a1&${'x=1&'.repeat(1000)}y=2`, kind: 'login', principal: { login: 'a1' } },
  { name: 'multipart boundary=X; (PHP reads X)', method: 'POST', target: '/crm/', body: { contentType: `multipart/form-data; boundary=${BOUNDARY};`, body: multipart([{ name: 'AUTH_FORM', value: 'Y' }, { name: 'TYPE', value: 'AUTH' }, { name: 'USER_LOGIN', value: 'mb1' }]).body }, kind: 'login', principal: { login: 'mb1' }, buffered: true },
  { name: 'multipart boundary with / = :', method: 'POST', target: '/crm/', body: { contentType: 'multipart/form-data; boundary=a/b=c:d', body: multipart([{ name: 'AUTH_FORM', value: 'Y' }, { name: 'USER_LOGIN', value: 'mb2' }], 'a/b=c:d').body }, kind: 'login', principal: { login: 'mb2' }, buffered: true },
  { name: 'multipart naming boundary twice: refused', method: 'POST', target: '/crm/', body: { contentType: `multipart/form-data; BOUNDARY=${BOUNDARY}; boundary=other`, body: multipart([{ name: 'AUTH_FORM', value: 'Y' }]).body }, kind: 'other', buffered: true, refused: 'multipart:boundary_read_two_ways' },
  { name: 'multipart part after the closing delimiter counts', method: 'POST', target: '/crm/', body: { contentType: 'multipart/form-data; boundary=B', body: Buffer.from('--B\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--B--\r\n--B\r\nContent-Disposition: form-data; name=AUTH_FORM\r\n\r\nY\r\n--B\r\nContent-Disposition: form-data; name=USER_LOGIN\r\n\r\nmb3\r\n--B--\r\n') }, kind: 'login', principal: { login: 'mb3' }, buffered: true },
  { name: 'POST form to the REST services index is read', method: 'POST', target: '/bitrix/services/rest/index.php', body: 'method=user.current&auth=tokF', kind: 'rest', principal: { restVia: 'oauth' }, rest: { method: 'user.current', entry: 'services_index' }, credentials: { oauthToken: 'tokF' }, buffered: true },
  // ---- hostile input never throws ----
  { name: 'broken escapes', target: '/%%%/x?%%%=%%&%zz', kind: 'other' },
  { name: 'raw high bytes', target: '/\xff\xfe/\xc0\xaf?\xff=\xfe', kind: 'other' },
];

async function run(row: Row) {
  const headers: Record<string, string> = { ...(row.headers ?? {}) };
  let body: Buffer | undefined;
  if (typeof row.body === 'string') {
    headers['content-type'] ??= URLENCODED;
    body = Buffer.from(row.body, 'latin1');
  } else if (row.body !== undefined) {
    headers['content-type'] = row.body.contentType;
    body = row.body.body;
  }
  const h = head(row.method ?? 'GET', row.target, headers);
  let form: FormFields | undefined;
  let unreadable: string | undefined;
  const buffered = needsForm(h);
  if (body !== undefined && buffered) ({ fields: form, unreadable } = readFormBody(headers['content-type']!, body));
  const r = classify(h, form, {});
  return { buffered, ...r, refused: unreadable ?? r.refused };
}

describe('classification table', () => {
  it('has enough rows to mean something', () => {
    expect(rows.length).toBeGreaterThanOrEqual(80);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  it.each(rows.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const { classified, credentials, buffered, refused } = await run(row);
    expect(refused).toBe(row.refused);
    expect(classified.kind).toBe(row.kind);
    if (row.principal) expect(classified.principal).toMatchObject(row.principal);
    if (row.rest) expect(classified.rest).toMatchObject(row.rest);
    if (row.kind === 'rest') expect(classified.rest).toBeDefined();
    else expect(classified.rest).toBeUndefined();
    if (row.credentials) expect(credentials).toMatchObject(row.credentials);
    if (row.reason instanceof RegExp) expect(classified.reason).toMatch(row.reason);
    else if (row.reason !== undefined) expect(classified.reason).toBe(row.reason);
    if (row.path !== undefined) expect(classified.path).toBe(row.path);
    expect(classified.portal).toBe(row.portal ?? 'portal.example.com');
    if (row.body !== undefined && row.buffered !== undefined) expect(buffered).toBe(row.buffered);
    // Secrets live in Credentials only.
    expect(JSON.stringify(classified)).not.toMatch(/pw\d|New-Pw1|cw1|abc123|code7|tokA|tokF|RT1/);
  });
});
