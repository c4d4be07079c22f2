"""molgdl-fragtree: BRICS fragment trees and a Child-Sum Tree-LSTM encoder (docs/fewshot.md)."""
