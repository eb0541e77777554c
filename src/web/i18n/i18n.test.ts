import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DICTIONARIES, pickLanguage, translator } from './i18n.js';

test('ru and en have exactly the same keys, none empty', () => {
  const ru = Object.keys(DICTIONARIES.ru).sort();
  const en = Object.keys(DICTIONARIES.en).sort();
  assert.deepEqual(en, ru);
  for (const lang of ['ru', 'en'] as const) {
    for (const [k, v] of Object.entries(DICTIONARIES[lang])) assert.ok(v.trim().length > 0, `${lang}.${k} is empty`);
  }
});

test('placeholders match between languages', () => {
  const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join(',');
  for (const [k, v] of Object.entries(DICTIONARIES.ru)) {
    assert.equal(holes(DICTIONARIES.en[k as keyof typeof DICTIONARIES.en]), holes(v), k);
  }
});

test('Russian by default, English when the browser prefers it', () => {
  assert.equal(pickLanguage([]), 'ru');
  assert.equal(pickLanguage(['de-DE', 'fr']), 'ru');
  assert.equal(pickLanguage(['ru-RU', 'en-US']), 'ru');
  assert.equal(pickLanguage(['en-US', 'ru']), 'en');
  assert.equal(pickLanguage(['de', 'EN-gb']), 'en');
  assert.equal(pickLanguage(['en-US'], 'ru'), 'ru', 'a choice made in settings wins');
  assert.equal(pickLanguage(['ru'], 'xx'), 'ru', 'a garbled stored value is ignored');
});

test('translator fills placeholders', () => {
  assert.equal(translator('en')('deviceFallback', { n: 2 }), 'Device 2');
  assert.equal(translator('ru')('connect'), 'Связать');
});

test('plain words: no «сервер», no «обновите страницу», no abbreviations like «выкл.»', () => {
  for (const [k, v] of Object.entries(DICTIONARIES.ru)) {
    assert.doesNotMatch(v, /сервер|обновите|перезагруз|выкл\.|вкл\./i, `ru.${k}: ${v}`);
  }
  for (const [k, v] of Object.entries(DICTIONARIES.en)) {
    assert.doesNotMatch(v, /server|reload|refresh/i, `en.${k}: ${v}`);
  }
});

test('one word for the other person throughout: «собеседник», "the other person"', () => {
  for (const [k, v] of Object.entries(DICTIONARIES.ru)) {
    // «близким» only in the tagline, about family in general, not the person in the call.
    if (k !== 'tagline')
      assert.doesNotMatch(v, /близк|родствен|партн[её]р|участник[аеу]?\b(?! звонка)/i, `ru.${k}: ${v}`);
  }
  for (const [k, v] of Object.entries(DICTIONARIES.en)) {
    assert.doesNotMatch(v, /relative|partner|peer|contact/i, `en.${k}: ${v}`);
  }
});

test('the invitation tells the relative what to press', () => {
  assert.match(DICTIONARIES.ru.shareText, /«Разрешить»/);
  assert.match(DICTIONARIES.en.shareText, /"Allow"/);
});
