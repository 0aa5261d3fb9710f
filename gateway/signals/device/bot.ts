/**
 * `device.is_bot`: a user agent that is not a person's browser. Empty, an HTTP library or tool, a
 * headless or automated browser, or a crawler. ua-parser-js 1.x has no bot detection, hence the list.
 * Integrations calling REST with curl or python are "bots" here too: that is a fact for policies, not
 * a verdict.
 */
const NOT_A_PERSON = new RegExp(
  [
    // crawlers and monitors
    // ("Googlebot/2.1", "Slackbot-LinkExpanding", "… bot …", but not the phone brand "CUBOT X19")
    '(?<![a-z])bot\\b', '[a-z]bot[/_-]', 'externalhit', 'crawl', 'spider', 'slurp', 'scan', 'monitor', 'uptime', 'preview',
    // HTTP libraries and tools
    '^curl/', '^wget/', 'python-requests', 'python-urllib', 'python-httpx', 'aiohttp', '^python/',
    'go-http-client', '^java/', 'okhttp', 'apache-httpclient', 'libwww-perl', 'lwp::', 'node-fetch',
    '^axios/', '^undici', '^node\\b', 'postmanruntime', 'insomnia', 'httpie', 'powershell',
    '^guzzlehttp', '^php/', '^ruby', 'faraday', 'scrapy', 'httpclient', '^dart:', 'restsharp',
    // automation
    'headlesschrome', 'phantomjs', 'selenium', 'webdriver', 'puppeteer', 'playwright', 'electron/.*headless',
  ].join('|'),
  'i',
);

export const BOT_CHECKED_CHARS = 512;

export function isBotUserAgent(userAgent: string | undefined): boolean {
  const ua = (userAgent ?? '').trim();
  if (ua === '') return true;
  return NOT_A_PERSON.test(ua.slice(0, BOT_CHECKED_CHARS));
}
