meta:
  id: slm1
  title: SLM1 browser-local model package, format version 1
  file-extension: slm
  license: CC0-1.0
  ks-version: '0.11'
  endian: le
doc: |
  The byte layout of an SLM1 file as spec/format.md describes it (sections 2-6), read in file
  order: the 256-byte header, the tokenizer section, its zero padding, the tensor directory, then
  each tensor's bytes followed by its zero padding up to the next multiple of 64.

  This description covers layout only. spec/format.md is the authority on validity: its numbered
  check order (section 7.1) decides which error a file gets, and a Kaitai parser stops at the first
  field it reads that fails, in file order, which is not the check order. The `valid` keys below
  are the structural rules a reader needs to walk the file safely (magic, versions, canonical
  section positions, counts within their limits, reserved and padding bytes zero, sizes that
  match). What this description does not check, and format.md does:
  - the order of the checks and the error code and offset of each (section 7.1);
  - the hyperparameter limits and consistency (checks 10, 37), the tokenizer semantics (38-42:
    n_pieces against vocab_size, BOS/EOS ids, the byte pieces, finite scores, duplicate pieces);
  - tensor names: the [a-z0-9_.] charset and uniqueness (checks 21-22);
  - the element-count limit 2^40 (check 26);
  - the architecture's required tensors, shapes and dtypes (43-46);
  - the file checksum (36), parameter_count, layout_checksum, tokenizer_checksum (47-49) and the
    content digest (50);
  - exact u64 arithmetic (section 7.1.7): a generated parser in a language without native u64
    (JavaScript reads u8 into a double) may round values above 2^53.
doc-ref:
  - spec/format.md section 2 (canonical layout)
  - spec/format.md section 3 (header), 4 (section table), 5 (tokenizer), 6 (directory and dtypes)
seq:
  - id: header
    type: header
    size: 256
  - id: tokenizer
    type: tokenizer_section
    size: header.tokenizer_length
  - id: tokenizer_padding
    doc: zero bytes up to directory_offset = align64(256 + tokenizer_length)
    type: u1
    repeat: expr
    repeat-expr: header.directory_offset - (header.tokenizer_offset + header.tokenizer_length)
    valid: 0
  - id: directory
    type: directory_entry
    size: 128
    repeat: expr
    repeat-expr: header.tensor_count
  - id: tensors
    doc: the data section, tensors in directory order (format.md section 2)
    type: tensor_data(_index)
    repeat: expr
    repeat-expr: header.tensor_count
  - id: end_of_file
    doc: the data section ends the file (file_length was checked against the size already)
    size: 0
    valid:
      expr: _io.eof
types:
  header:
    doc: format.md section 3; bytes [0, 256)
    seq:
      - id: magic
        contents: SLM1
      - id: version
        type: u4
        valid: 1
      - id: header_length
        type: u4
        valid: 256
      - id: flags
        doc: bit 0 untied_output; bits 1-31 are reserved and zero
        type: u4
        valid:
          max: 1
      - id: file_length
        type: u8
        valid:
          expr: _ == _root._io.size
      - id: checksum
        doc: XXH64 (seed 0) of the file with bytes [24, 32) read as zero; not verified here
        type: u8
      - id: content_digest
        doc: SHA-256 of the file with bytes [24, 64) read as zero; not verified here
        size: 32
      - id: vocab_size
        type: u4
      - id: dim
        type: u4
      - id: hidden_dim
        type: u4
      - id: n_layers
        type: u4
      - id: n_heads
        type: u4
      - id: n_kv_heads
        type: u4
      - id: max_seq_len
        type: u4
      - id: norm_eps
        type: f4
      - id: rope_theta
        type: f4
      - id: reserved_100
        type: u4
        valid: 0
      - id: parameter_count
        doc: sum of the element counts of all tensors (identity; not verified here)
        type: u8
      - id: tensor_count
        type: u4
        valid:
          max: 16384
      - id: reserved_116
        type: u4
        valid: 0
      - id: layout_checksum
        doc: XXH64 of the directory bytes (identity; not verified here)
        type: u8
      - id: tokenizer_checksum
        doc: XXH64 of the tokenizer section bytes (identity; not verified here)
        type: u8
      - id: tokenizer_offset
        type: u8
        valid: 256
      - id: tokenizer_length
        type: u8
        valid:
          max: 16777216
      - id: directory_offset
        doc: align64(tokenizer_offset + tokenizer_length)
        type: u8
        valid:
          expr: _ == (tokenizer_offset + tokenizer_length + 63) / 64 * 64
      - id: directory_length
        type: u8
        valid:
          expr: _ == 128 * tensor_count
      - id: data_offset
        type: u8
        valid:
          expr: _ == directory_offset + directory_length
      - id: data_length
        type: u8
        valid:
          expr: data_offset + _ == file_length
      - id: reserved_184
        type: u1
        repeat: expr
        repeat-expr: 72
        valid: 0
    instances:
      untied_output:
        value: (flags & 1) != 0
  tokenizer_section:
    doc: format.md section 5; exactly tokenizer_length bytes at offset 256
    seq:
      - id: kind
        type: u4
        enum: tokenizer_kind
        valid:
          any-of:
            - tokenizer_kind::byte
            - tokenizer_kind::bpe
      - id: flags
        doc: bit 0 add_dummy_prefix; bits 1-31 are reserved and zero
        type: u4
        valid:
          max: 1
      - id: n_pieces
        doc: BYTE has no records and implies 259 pieces; BPE has n_pieces records
        type: u4
        valid:
          max: 1048576
      - id: bos_id
        type: u4
      - id: eos_id
        type: u4
      - id: reserved
        type: u4
        valid: 0
      - id: pieces
        doc: BPE only; record i is token id i
        type: piece
        repeat: expr
        repeat-expr: n_pieces
        if: kind == tokenizer_kind::bpe
      - id: trailing
        doc: nothing follows the last record (BYTE - the 24-byte header)
        size-eos: true
        valid:
          expr: _.length == 0
    instances:
      add_dummy_prefix:
        value: (flags & 1) != 0
  piece:
    seq:
      - id: score
        type: f4
      - id: length
        type: u4
        valid:
          min: 1
          max: 1024
      - id: bytes
        size: length
  directory_entry:
    doc: format.md section 6.1; 128 bytes
    seq:
      - id: name_length
        type: u2
        valid:
          min: 1
          max: 62
      - id: name
        doc: bytes from [a-z0-9_.] (format.md checks 21-22; the charset is not checked here)
        type: str
        size: name_length
        encoding: ASCII
      - id: name_padding
        type: u1
        repeat: expr
        repeat-expr: 62 - name_length
        valid: 0
      - id: dtype
        type: u4
        enum: dtype
        valid:
          any-of:
            - dtype::f32
            - dtype::q4_0
            - dtype::q8_0
      - id: rank
        type: u4
        valid:
          min: 1
          max: 4
      - id: dims
        doc: row-major shape, dims[0] outermost
        type: u8
        repeat: expr
        repeat-expr: rank
        valid:
          min: 1
      - id: unused_dims
        type: u8
        repeat: expr
        repeat-expr: 4 - rank
        valid: 0
      - id: offset
        doc: relative to data_offset, a multiple of 64
        type: u8
        valid:
          expr: _ % 64 == 0
      - id: byte_size
        doc: bytes(dtype, n); a quantized tensor's innermost dim is a multiple of 32
        type: u8
        valid:
          expr: >-
            dtype == dtype::f32 ? _ == 4 * n_elements :
            (dims[rank - 1] % 32 == 0 and
             _ == (dtype == dtype::q8_0 ? 34 : 18) * (n_elements / 32))
      - id: reserved
        type: u8
        valid: 0
    instances:
      n_elements:
        value: >-
          dims[0] * (rank >= 2 ? dims[1] : 1) * (rank >= 3 ? dims[2] : 1) *
          (rank >= 4 ? dims[3] : 1)
      absolute_offset:
        value: _root.header.data_offset + offset
  tensor_data:
    doc: one tensor's bytes at its canonical place, then zero padding to a multiple of 64
    params:
      - id: i
        type: u4
    seq:
      - id: at_canonical_offset
        doc: the tensor starts where its directory entry says (format.md checks 30-33)
        size: 0
        valid:
          expr: _io.pos == _root.directory[i].absolute_offset
      - id: body
        size: _root.directory[i].byte_size
      - id: padding
        type: u1
        repeat: expr
        repeat-expr: (64 - _root.directory[i].byte_size % 64) % 64
        valid: 0
enums:
  tokenizer_kind:
    1: byte
    2: bpe
  dtype:
    0: f32
    2: q4_0
    8: q8_0
