/**
 * The canonical URL and the host comparison behind the once-per-host warning (src/http/host-watch.ts).
 */
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { HostWatch, requestHost, resolvePublicUrl } from '../../src/http/host-watch.js';

describe('public URL and request hosts', () => {
  it('defaults to http://localhost:<bound port>, and takes FULMAR_PUBLIC_URL as given otherwise', () => {
    expect(resolvePublicUrl(undefined, 41234)).to.deep.equal({ url: 'http://localhost:41234', host: 'localhost:41234', protocol: 'http:', configured: false });
    expect(resolvePublicUrl('https://Fulmar.Example.com', 8080)).to.deep.equal({
      url: 'https://Fulmar.Example.com',
      host: 'fulmar.example.com',
      protocol: 'https:',
      configured: true,
    });
    expect(resolvePublicUrl('https://example.com/fulmar', 8080).url).to.equal('https://example.com/fulmar');
  });

  it('reads the host as a URL would: lower case, default port dropped, X-Forwarded-Host first', () => {
    expect(requestHost({ host: 'Fulmar.example.com:443' }, 'https:')).to.equal('fulmar.example.com');
    expect(requestHost({ host: 'fulmar.example.com:443' }, 'http:')).to.equal('fulmar.example.com:443');
    expect(requestHost({ host: 'localhost:80' }, 'http:')).to.equal('localhost');
    expect(requestHost({ host: '[::1]:8080' }, 'http:')).to.equal('[::1]:8080');
    expect(requestHost({ host: 'pod-1:8080', 'x-forwarded-host': 'lb.example, inner.example' }, 'http:')).to.equal('lb.example');
    expect(requestHost({}, 'http:')).to.equal(undefined);
  });

  it('warns about at most its bound of distinct hosts, then says once that it stops', () => {
    const messages: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        messages.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
        done();
      },
    });
    const watch = new HostWatch(pino({ level: 'warn' }, sink), 2);
    watch.note({ host: 'early.example' }); // before `use`: nothing is checked yet
    watch.use(resolvePublicUrl('http://fulmar.test', 0));
    for (const host of ['fulmar.test', 'a.example', 'a.example', 'b.example', 'c.example', 'd.example', 'a.example']) watch.note({ host });
    expect(messages).to.have.length(3);
    expect(messages[0]).to.contain('as a.example,');
    expect(messages[1]).to.contain('as b.example,');
    expect(messages[2]).to.equal("requests arrived for more than 2 hosts other than FULMAR_PUBLIC_URL's; no more such warnings from this pod");
  });
});
