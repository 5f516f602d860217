import { expect } from 'chai';
import {
  newUpdateId,
  validateOrgName,
  validateProjectName,
  validateStackName,
  validateTagName,
  validateTagValue,
  validateTags,
  MAX_TAGS,
  validateUpdateId,
  validateUserLogin,
} from '../../src/domain/names.js';
import { expectBadRequest } from '../helpers/assertions.js';


describe('names', () => {
  describe('validateOrgName', () => {
    it('accepts 3 to 40 chars of letters, digits, - and _ with alphanumeric ends', () => {
      for (const ok of ['abc', 'acme', 'Acme-Corp', 'a_b', 'a-b', '1x2', 'a'.repeat(40)]) {
        expect(validateOrgName(ok)).to.equal(ok);
      }
    });

    it('rejects names that are too short, too long or badly bounded', () => {
      for (const bad of ['', 'a', 'ab', 'a'.repeat(41), '-abc', 'abc-', 'abc_', 'a.b', 'a b', 'a/b', 'ä-org']) {
        expectBadRequest(() => validateOrgName(bad), /^Invalid organization name .*3 to 40/);
      }
    });

    it('rejects a leading underscore so no org can collide with _system', () => {
      expectBadRequest(() => validateOrgName('_system'), /organization name "_system"/);
      expectBadRequest(() => validateOrgName('_abc'), /organization name/);
    });

    it('rejects non-strings with a readable message', () => {
      expectBadRequest(() => validateOrgName(undefined), /organization name \(undefined\)/);
      expectBadRequest(() => validateOrgName(null), /organization name \(null\)/);
      expectBadRequest(() => validateOrgName(42), /organization name \(number\)/);
    });

    it('truncates huge rejected values in the message', () => {
      let message = '';
      try {
        validateOrgName('x'.repeat(10_000));
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).to.include('…');
      expect(message.length).to.be.lessThan(300);
    });
  });

  describe('validateUserLogin', () => {
    it('accepts 1 to 39 chars starting with a letter or digit', () => {
      for (const ok of ['a', 'Z', '7', 'bob', 'bob-', 'bob_smith', 'a'.repeat(39)]) {
        expect(validateUserLogin(ok)).to.equal(ok);
      }
    });

    it('rejects empty, too long, bad first char or bad alphabet', () => {
      for (const bad of ['', 'a'.repeat(40), '-bob', '_bob', 'bo.b', 'bo b', 'bob@x']) {
        expectBadRequest(() => validateUserLogin(bad), /^Invalid user login .*1 to 39/);
      }
    });
  });

  for (const [label, validate] of [
    ['project name', validateProjectName],
    ['stack name', validateStackName],
  ] as const) {
    describe(`validate ${label}`, () => {
      it('accepts 1 to 100 chars of letters, digits, -, _ and .', () => {
        for (const ok of ['a', 'dev', 'my-proj_2.0', '...', '.hidden', 'a'.repeat(100)]) {
          expect(validate(ok)).to.equal(ok);
        }
      });

      it('rejects . and .. which path cleaning would swallow', () => {
        expectBadRequest(() => validate('.'), new RegExp(`Invalid ${label} "\\."`));
        expectBadRequest(() => validate('..'), new RegExp(`Invalid ${label} "\\.\\."`));
      });

      it('rejects empty, too long and characters unsafe in a URL path or key', () => {
        for (const bad of ['', 'a'.repeat(101), 'a/b', 'a b', 'a%2F', 'a?b', 'a#b', 'é', 'a:b']) {
          expectBadRequest(() => validate(bad), new RegExp(`Invalid ${label}`));
        }
      });
    });
  }

  describe('validateTagName', () => {
    it('accepts 1 to 40 chars including : and .', () => {
      for (const ok of ['pulumi:project', 'gitHub:owner', 'a.b-c_d', 'x'.repeat(40)]) {
        expect(validateTagName(ok)).to.equal(ok);
      }
    });

    it('rejects empty, too long and other characters', () => {
      for (const bad of ['', 'x'.repeat(41), 'a b', 'a/b', 'a=b', 'ü']) {
        expectBadRequest(() => validateTagName(bad), /^Invalid tag name/);
      }
    });
  });

  describe('validateTagValue', () => {
    it('accepts any string up to 256 characters, including empty', () => {
      expect(validateTagValue('')).to.equal('');
      expect(validateTagValue('v'.repeat(256))).to.equal('v'.repeat(256));
      expect(validateTagValue('spaces / slashes = fine')).to.equal('spaces / slashes = fine');
    });

    it('counts code points, so 256 emoji (512 UTF-16 units) still fit', () => {
      const emoji = '🦭'.repeat(256);
      expect(emoji.length).to.equal(512);
      expect(validateTagValue(emoji)).to.equal(emoji);
    });

    it('rejects 257 characters and non-strings', () => {
      expectBadRequest(() => validateTagValue('v'.repeat(257)), /at most 256/);
      expectBadRequest(() => validateTagValue('🦭'.repeat(257)), /at most 256/);
      expectBadRequest(() => validateTagValue(5), /tag value \(number\)/);
    });
  });

  describe('validateTags', () => {
    it('returns a copy of a valid tag map', () => {
      const tags = { 'pulumi:project': 'proj', 'vcs:owner': 'acme', empty: '' };
      const out = validateTags(tags);
      expect(out).to.deep.equal(tags);
      expect(out).not.to.equal(tags);
      expect(validateTags({})).to.deep.equal({});
    });

    it('keeps a tag named __proto__ as a plain entry', () => {
      const out = validateTags(JSON.parse('{"__proto__":"x"}'));
      expect(Object.keys(out)).to.deep.equal(['__proto__']);
      expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
    });

    it('rejects non-objects, bad names, bad values and too many tags', () => {
      for (const bad of [null, undefined, 'x', 3, ['a']]) {
        expectBadRequest(() => validateTags(bad), /^Invalid tags: expected a JSON object/);
      }
      expectBadRequest(() => validateTags({ 'bad name': 'v' }), /^Invalid tag name "bad name"/);
      expectBadRequest(() => validateTags({ ok: 7 }), /^Invalid tag value \(number\)/);
      expectBadRequest(() => validateTags({ ok: 'v'.repeat(257) }), /at most 256/);
      const many = Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`t${i}`, 'v']));
      expectBadRequest(() => validateTags(many), /at most 1000 tags/);
    });
  });

  describe('update ids', () => {
    it('newUpdateId returns distinct ids that validateUpdateId accepts', () => {
      const ids = new Set<string>();
      for (let i = 0; i < 50; i++) ids.add(validateUpdateId(newUpdateId()));
      expect(ids.size).to.equal(50);
    });

    it('accepts lowercase hex with dashes between 8 and 64 chars', () => {
      for (const ok of ['deadbeef', '0123456789abcdef0123456789abcdef', 'a'.repeat(64)]) {
        expect(validateUpdateId(ok)).to.equal(ok);
      }
    });

    it('rejects uppercase, other letters, wrong lengths and path tricks', () => {
      for (const bad of ['DEADBEEF', 'deadbee', 'a'.repeat(65), 'xyz12345', '../../../etc', 'abcd1234/x']) {
        expectBadRequest(() => validateUpdateId(bad), /^Invalid update id/);
      }
    });
  });
});
