/** A message that stays on screen as long as its condition lasts (unlike a toast). */
export function Banner({ text, testid }: { text: string; testid: string }) {
  return (
    <p class="banner" role="status" data-testid={testid}>
      {text}
    </p>
  );
}
