import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { GoSyntaxError, goSystemMessage, parseGoJson } from './go-json.js';

const syntax = (text: string | Buffer): string => {
  try {
    parseGoJson(Buffer.isBuffer(text) ? text : Buffer.from(text));
  } catch (err) {
    assert.ok(err instanceof GoSyntaxError, String(err));
    return err.message;
  }
  return 'ok';
};

test("Go's json.Decoder syntax errors, word for word (as dockerd 20.10 answers them)", () => {
  assert.equal(syntax(''), 'EOF');
  assert.equal(syntax(' \n\t'), 'EOF');
  assert.equal(syntax('{'), 'unexpected EOF');
  assert.equal(syntax('{"Image":"bus'), 'unexpected EOF');
  assert.equal(syntax('[1,'), 'unexpected EOF');
  assert.equal(syntax('{"Image":}'), "invalid character '}' looking for beginning of value");
  assert.equal(syntax('{"a":1,}'), "invalid character '}' looking for beginning of object key string");
  assert.equal(syntax('{a:1}'), "invalid character 'a' looking for beginning of object key string");
  assert.equal(syntax('{"a" 1}'), "invalid character '1' after object key");
  assert.equal(syntax('{"a":1 "b":2}'), "invalid character '\"' after object key:value pair");
  assert.equal(syntax('[1 2]'), "invalid character '2' after array element");
  assert.equal(syntax('[1,]'), "invalid character ']' looking for beginning of value");
  assert.equal(syntax('{"a":tru}'), "invalid character '}' in literal true (expecting 'e')");
  assert.equal(syntax('{"a":nul}'), "invalid character '}' in literal null (expecting 'l')");
  assert.equal(syntax('{"a":-}'), "invalid character '}' in numeric literal");
  assert.equal(syntax('{"a":1.}'), "invalid character '}' after decimal point in numeric literal");
  assert.equal(syntax('{"a":1e}'), "invalid character '}' in exponent of numeric literal");
  assert.equal(syntax('{"a":01}'), "invalid character '1' after object key:value pair");
  assert.equal(syntax('{"a":"\\x"}'), "invalid character 'x' in string escape code");
  assert.equal(syntax('{"a":"\\u12g4"}'), "invalid character 'g' in \\u hexadecimal character escape");
  assert.equal(syntax('{"a":"\n"}'), "invalid character '\\n' in string literal");
  assert.equal(syntax("{'a':1}"), "invalid character '\\'' looking for beginning of object key string");
  assert.equal(syntax(Buffer.from([0x7b, 0x01])), "invalid character '\\x01' looking for beginning of object key string");
  // A byte past ASCII is printed as the rune of its value, as Go's quoteChar does.
  assert.equal(syntax(Buffer.from([0xc3, 0xa9])), "invalid character 'Ã' looking for beginning of value");
  assert.equal(syntax('['.repeat(10001)), "invalid character '[' exceeded max depth");
  assert.equal(syntax('['.repeat(10000)), 'unexpected EOF', 'depth 10000 is allowed');
});

test('values keep number literals, key order and repeated keys; Decoder.More after the value', () => {
  const { value, more } = parseGoJson(Buffer.from(' {"a":1.0,"b":[true,null,"x\\u00e9\\ud83d\\ude00"],"a":-2e3} '));
  assert.deepEqual(value, {
    k: 'object',
    entries: [
      ['a', { k: 'number', raw: '1.0' }],
      ['b', { k: 'array', items: [{ k: 'bool', v: true }, { k: 'null' }, { k: 'string', v: 'xé😀' }] }],
      ['a', { k: 'number', raw: '-2e3' }],
    ],
  });
  assert.equal(more, false);
  assert.equal(parseGoJson(Buffer.from('{} x')).more, true);
  assert.equal(parseGoJson(Buffer.from('{}{}')).more, true);
  // As Go's Decoder.More: a closing bracket after the value is not "more".
  assert.equal(parseGoJson(Buffer.from('{}}')).more, false);
  assert.deepEqual(parseGoJson(Buffer.from('"\\ud800"')).value, { k: 'string', v: '\ufffd' }, 'a lone surrogate becomes U+FFFD');
  assert.deepEqual(parseGoJson(Buffer.from('12 ')).value, { k: 'number', raw: '12' });
});

test("Node's system errors in the words of Go's *os.PathError and os/exec", async () => {
  const err = await mkdir(`/tmp/${'n'.repeat(300)}`).catch((x: unknown) => x);
  assert.equal(goSystemMessage(err), `mkdir /tmp/${'n'.repeat(300)}: file name too long`);
  const missing = await new Promise((resolve) => spawn('/nonexistent/minke-no-such-program').on('error', resolve));
  assert.equal(goSystemMessage(missing), 'exec: "/nonexistent/minke-no-such-program": executable file not found in $PATH');
  assert.equal(goSystemMessage(new Error('plain words')), 'plain words');
});
