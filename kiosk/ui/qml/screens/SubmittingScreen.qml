BusyScreen { message: qsTr("Mengirim permohonan ke kantor desa…") }
