import type { JSX } from 'preact';
import type { BrowserKind } from '../browser-kind.js';

export type DrawingKind = BrowserKind | 'in-app-android' | 'in-app-ios';

const INK = '#1a1a1a';
const MARK = '#ffbf47';
const GREEN = '#0b5d3b';

/** The yellow ring that says "tap here". */
const Ring = ({ x, y, r = 13 }: { x: number; y: number; r?: number }) => (
  <circle cx={x} cy={y} r={r} fill="none" stroke={MARK} stroke-width="5" />
);

/** A finger-like arrow pointing up-left at (x, y). */
const Pointer = ({ x, y }: { x: number; y: number }) => (
  <path
    d={`M${x + 6} ${y + 6}l22 22m-22-22v12m0-12h12`}
    stroke={INK}
    stroke-width="4"
    fill="none"
    stroke-linecap="round"
  />
);

/** A switch that is on, with a camera or a microphone beside it. */
const Toggle = ({ x, y, kind }: { x: number; y: number; kind: 'camera' | 'mic' }) => (
  <g>
    {kind === 'camera' ? (
      <g stroke={INK} stroke-width="2.5" fill="none">
        <rect x={x} y={y - 6} width="14" height="12" rx="2" />
        <path d={`M${x + 14} ${y - 2}l6-3v10l-6-3`} />
      </g>
    ) : (
      <g stroke={INK} stroke-width="2.5" fill="none">
        <rect x={x + 4} y={y - 8} width="7" height="12" rx="3.5" />
        <path d={`M${x + 1} ${y}a6.5 6.5 0 0 0 13 0M${x + 7.5} ${y + 7}v3`} />
      </g>
    )}
    <rect x={x + 60} y={y - 8} width="30" height="16" rx="8" fill={GREEN} />
    <circle cx={x + 82} cy={y} r="6" fill="#fff" />
  </g>
);

/** The address bar, with whatever sits at its left end. */
const AddressBar = ({ y, left }: { y: number; left: JSX.Element }) => (
  <g>
    <rect x="20" y={y} width="200" height="26" rx="13" fill="#ece4d6" stroke={INK} stroke-width="2" />
    <rect x="62" y={y + 10} width="120" height="6" rx="3" fill="#8a8a8a" />
    {left}
  </g>
);

const Tune = ({ x, y }: { x: number; y: number }) => (
  <g stroke={INK} stroke-width="2.5" stroke-linecap="round">
    <path d={`M${x - 7} ${y - 4}h14M${x - 7} ${y + 4}h14`} />
    <circle cx={x - 2} cy={y - 4} r="2.5" fill="#fff" />
    <circle cx={x + 3} cy={y + 4} r="2.5" fill="#fff" />
  </g>
);

const Popup = ({ y }: { y: number }) => (
  <g>
    <rect x="24" y={y} width="130" height="56" rx="8" fill="#fff" stroke={INK} stroke-width="2" />
    <Toggle x={36} y={y + 16} kind="camera" />
    <Toggle x={36} y={y + 40} kind="mic" />
  </g>
);

function parts(kind: DrawingKind): JSX.Element {
  switch (kind) {
    case 'android-chrome':
    case 'desktop-chrome':
      return (
        <g>
          <AddressBar y={14} left={<Tune x={40} y={27} />} />
          <Ring x={40} y={27} />
          <Popup y={50} />
          <Pointer x={44} y={31} />
        </g>
      );
    case 'desktop-firefox':
      return (
        <g>
          <AddressBar
            y={14}
            left={
              <g stroke={INK} stroke-width="2.5" fill="none">
                <rect x="31" y="22" width="12" height="10" rx="2" />
                <path d="M43 25l5-2v8l-5-2M29 19l20 16" />
              </g>
            }
          />
          <Ring x={39} y={27} />
          <Popup y={50} />
          <Pointer x={43} y={31} />
        </g>
      );
    case 'ios-safari':
      return (
        <g>
          <rect x="50" y="4" width="140" height="142" rx="18" fill="#fff" stroke={INK} stroke-width="3" />
          <rect x="58" y="112" width="124" height="24" rx="12" fill="#ece4d6" stroke={INK} stroke-width="2" />
          <text x="66" y="129" font-size="13" font-weight="700" fill={INK} font-family="sans-serif">
            aA
          </text>
          <Ring x={74} y={124} />
          <rect x="62" y="30" width="116" height="60" rx="8" fill="#f1ece3" stroke={INK} stroke-width="2" />
          <Toggle x={68} y={46} kind="camera" />
          <Toggle x={68} y={72} kind="mic" />
        </g>
      );
    case 'desktop-safari':
      return (
        <g>
          <rect x="10" y="8" width="220" height="18" fill="#ece4d6" stroke={INK} stroke-width="2" />
          <text x="34" y="22" font-size="12" font-weight="700" fill={INK} font-family="sans-serif">
            Safari
          </text>
          <Ring x={52} y={17} r={16} />
          <rect x="28" y="30" width="130" height="70" rx="6" fill="#fff" stroke={INK} stroke-width="2" />
          <rect x="36" y="40" width="100" height="6" rx="3" fill="#8a8a8a" />
          <rect x="34" y="52" width="118" height="14" rx="4" fill={MARK} />
          <rect x="40" y="56" width="90" height="6" rx="3" fill={INK} />
          <rect x="36" y="76" width="80" height="6" rx="3" fill="#8a8a8a" />
          <Popup y={96} />
        </g>
      );
    case 'in-app-android':
      return (
        <g>
          <rect x="40" y="4" width="160" height="142" rx="18" fill="#fff" stroke={INK} stroke-width="3" />
          <rect x="40" y="14" width="160" height="26" fill="#ece4d6" />
          <g fill={INK}>
            <circle cx="182" cy="21" r="2.5" />
            <circle cx="182" cy="27" r="2.5" />
            <circle cx="182" cy="33" r="2.5" />
          </g>
          <Ring x={182} y={27} />
          <rect x="96" y="46" width="96" height="40" rx="6" fill="#fff" stroke={INK} stroke-width="2" />
          <circle cx="112" cy="66" r="9" fill="none" stroke={GREEN} stroke-width="4" />
          <rect x="126" y="63" width="58" height="6" rx="3" fill={INK} />
        </g>
      );
    case 'in-app-ios':
      return (
        <g>
          <rect x="40" y="4" width="160" height="142" rx="18" fill="#fff" stroke={INK} stroke-width="3" />
          <rect x="40" y="110" width="160" height="26" fill="#ece4d6" />
          <circle cx="176" cy="123" r="8" fill="none" stroke={INK} stroke-width="2.5" />
          <path d="M172 127l3-7 5-1-3 7z" fill={INK} />
          <Ring x={176} y={123} />
          <rect x="60" y="40" width="120" height="40" rx="6" fill="#fff" stroke={INK} stroke-width="2" />
          <circle cx="76" cy="60" r="9" fill="none" stroke="#1a73e8" stroke-width="4" />
          <rect x="90" y="57" width="76" height="6" rx="3" fill={INK} />
        </g>
      );
  }
}

/** A simple drawing of where to tap, drawn here (no pictures from anywhere else). */
export function HelpDrawing({ kind, label }: { kind: DrawingKind; label: string }) {
  return (
    <svg class="help-drawing" viewBox="0 0 240 150" role="img" aria-label={label} data-drawing={kind}>
      {parts(kind)}
    </svg>
  );
}
