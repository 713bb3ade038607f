"""Reading a sheet: file decoding, the guarded parser, headers, footers and example rows."""
