-- Record one loaded police.uk file.
INSERT INTO crime_file VALUES ($file_id, $file, $force, $month, $variant, $read, $kept, $rej,
    $agree, $agree_n, $note);
