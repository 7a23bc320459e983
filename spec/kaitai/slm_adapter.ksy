meta:
  id: slm_adapter
  title: SLM adapter (ADP1 dense, ASP1 sparse, ALR1 low-rank), version 1
  file-extension:
    - adp
    - asp
    - alr
  license: CC0-1.0
  ks-version: '0.11'
  endian: le
doc: |
  The byte layout of an adapter file as spec/adapters.md describes it (sections 2-4): the
  192-byte header, then entry_count entries, each a 128-byte entry header directly followed by
  its payload, with no padding anywhere; the file ends with the last payload. The magic fixes the
  kind and with it the meaning of entry bytes [104, 112) and the payload.

  This description covers layout only. spec/adapters.md is the authority on validity: its check
  order A1-A37 (section 6.1) decides which error an adapter gets, and a Kaitai parser stops at the
  first field it reads that fails, in file order, which is not the check order. The `valid` keys
  below are the structural rules a reader needs to walk the file (A1-A19 but the element-count
  limit of A15; a garbage count or size shows as data that runs past the end of the file). What
  this description does not check, and adapters.md does:
  - the order of the checks and the error code and offset of each;
  - the checksum and the adapter digest (A20-A21);
  - entry names: name_length, the [a-z0-9_.] charset, the zero fill and strictly ascending
    order (A22-A23);
  - the element-count limit 2^40 (A15);
  - the low-rank rank range and a finite, non-zero alpha (A24-A25);
  - sparse indices below n and strictly ascending (A26-A27); finite payload values (A28);
  - the binding to a parent and the targets (A29-A36) and application (A37);
  - exact u64 arithmetic: a generated parser in a language without native u64 (JavaScript reads
    u8 into a double) may round values above 2^53.
doc-ref:
  - spec/adapters.md section 2 (overview and layout)
  - spec/adapters.md section 3 (header), 4.1 (entry header), 4.2 (payloads)
seq:
  - id: header
    type: header
    size: 192
  - id: entries
    type: entry
    repeat: expr
    repeat-expr: header.entry_count
  - id: end_of_file
    doc: nothing follows the last payload (file_length was checked against the size already)
    size: 0
    valid:
      expr: _io.eof
types:
  header:
    doc: adapters.md section 3; bytes [0, 192). Bytes [0, 64) are laid out as an SLM1 header's.
    seq:
      - id: magic
        doc: the four ASCII bytes ADP1, ASP1 or ALR1, read as one big-endian u4
        type: u4be
        enum: kind
        valid:
          any-of:
            - kind::dense
            - kind::sparse
            - kind::low_rank
      - id: version
        type: u4
        valid: 1
      - id: header_length
        type: u4
        valid: 192
      - id: flags
        doc: no flag is defined in version 1
        type: u4
        valid: 0
      - id: file_length
        type: u8
        valid:
          expr: _ == _root._io.size
      - id: checksum
        doc: XXH64 (seed 0) of the file with bytes [24, 32) read as zero; not verified here
        type: u8
      - id: adapter_digest
        doc: SHA-256 of the file with bytes [24, 64) read as zero; not verified here
        size: 32
      - id: parent
        doc: the parent's identity (format.md section 8.4), in that table's order
        type: parent_identity
      - id: entry_count
        type: u4
        valid:
          min: 1
          max: 16384
      - id: reserved
        type: u1
        repeat: expr
        repeat-expr: 60
        valid: 0
  parent_identity:
    seq:
      - id: parameter_count
        type: u8
      - id: tensor_count
        type: u4
      - id: flags
        type: u4
      - id: layout_checksum
        type: u8
      - id: tokenizer_checksum
        type: u8
      - id: content_digest
        size: 32
  entry:
    doc: adapters.md section 4; a 128-byte entry header, then the payload at P = E + 128
    seq:
      - id: name_length
        doc: 1..62; checked by adapters.md A22 after the hashes, so not here
        type: u2
      - id: name
        doc: |
          the target tensor's name, zero-filled to 62 bytes. Unlike a model's directory entry,
          the name field is not part of the walk (A12-A19): its length, charset, zero fill and
          order are adapters.md A22-A23, so the walk reads the field whole and checks none of them.
        type: strz
        size: 62
        encoding: ASCII
      - id: reserved_64
        doc: where a model directory entry has its dtype; payloads are always f32
        type: u4
        valid: 0
      - id: ndims
        type: u4
        doc: 1..4, and 2 in a low-rank (ALR1) file
        valid:
          expr: _ >= 1 and _ <= 4 and (_root.header.magic != kind::low_rank or _ == 2)
      - id: dims
        doc: the target's shape; [out, in] for a low-rank entry
        type: u8
        repeat: expr
        repeat-expr: ndims
        valid:
          min: 1
      - id: unused_dims
        type: u8
        repeat: expr
        repeat-expr: 4 - ndims
        valid: 0
      - id: kind_fields
        doc: entry bytes [104, 112), whose meaning the magic fixes
        type:
          switch-on: _root.header.magic
          cases:
            kind::dense: dense_fields
            kind::sparse: sparse_fields(n_elements)
            kind::low_rank: low_rank_fields
      - id: reserved_112
        type: u1
        repeat: expr
        repeat-expr: 16
        valid: 0
      - id: payload
        type:
          switch-on: _root.header.magic
          cases:
            kind::dense: dense_payload(n_elements)
            kind::sparse: sparse_payload(kind_fields.as<sparse_fields>.nnz)
            kind::low_rank: >-
              low_rank_payload(kind_fields.as<low_rank_fields>.rank, dims[0], dims[1])
    instances:
      n_elements:
        value: >-
          dims[0] * (ndims >= 2 ? dims[1] : 1) * (ndims >= 3 ? dims[2] : 1) *
          (ndims >= 4 ? dims[3] : 1)
  dense_fields:
    seq:
      - id: reserved
        type: u4
        repeat: expr
        repeat-expr: 2
        valid: 0
  sparse_fields:
    params:
      - id: n
        type: u8
    seq:
      - id: nnz
        doc: number of (index, value) pairs, 1..n
        type: u8
        valid:
          min: 1
          max: n
  low_rank_fields:
    seq:
      - id: rank
        doc: 1..min(out, in) (adapters.md A24, not checked here)
        type: u4
      - id: alpha
        doc: finite and non-zero (adapters.md A25, not checked here)
        type: f4
  dense_payload:
    params:
      - id: n
        type: u8
    seq:
      - id: values
        doc: the delta, row-major
        type: f4
        repeat: expr
        repeat-expr: n
  sparse_payload:
    params:
      - id: nnz
        type: u8
    seq:
      - id: pairs
        type: sparse_pair
        repeat: expr
        repeat-expr: nnz
  sparse_pair:
    doc: 12 bytes; the u64 index is only 4-aligned in the file
    seq:
      - id: index
        doc: linear row-major element number of the target
        type: u8
      - id: value
        type: f4
  low_rank_payload:
    params:
      - id: rank
        type: u4
      - id: n_out
        type: u8
      - id: n_in
        type: u8
    seq:
      - id: a
        doc: A [rank, in], row-major
        type: f4
        repeat: expr
        repeat-expr: rank * n_in
      - id: b
        doc: B [out, rank], row-major
        type: f4
        repeat: expr
        repeat-expr: n_out * rank
enums:
  kind:
    0x41445031: dense
    0x41535031: sparse
    0x414c5231: low_rank
