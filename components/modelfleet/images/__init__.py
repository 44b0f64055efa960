"""One digest, every registry: where each placement pulls its model's image from, the
rules that refuse what cannot work, and the component that copies the image there."""
