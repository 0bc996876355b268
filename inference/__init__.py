"""Pre-labelling: documents to paragraphs, ONNX tagging, batch jobs and reports. No torch here."""
